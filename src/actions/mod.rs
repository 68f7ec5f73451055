//! Layer 4, actions: the registry, an explicit table of every action a step may name.
//!
//! Each row states the action's name (`<service>.<Operation>`, exactly as in the AWS API reference), whether it
//! reads or writes, its input members (so the validator can reject unknown and missing ones before anything runs),
//! the IAM actions it needs, the resource it acts on and a one-line description for plans. One module per service
//! keeps each table short enough to read top to bottom.

/// A row for an action that is exactly one API call, declared once: the SDK call as [`crate::aws_op!`] takes it,
/// then what the registry adds. The name (`service.Operation`), the effect and the IAM action (`service:Operation`,
/// unless `iam:` names others) are derived from the call; `pages:` makes it a paged list operation.
///
/// ```ignore
/// call!(
///     dynamodb.update_table { set_table_name: str("TableName") },
///     "dynamodb", "UpdateTable", Write, crate::aws::dynamodb::JSON;
///     members: &[req("TableName", String), opt("BillingMode", String)],
///     resource: TABLE,
///     summary: "Change table {TableName}",
///     example: "TableName: orders\nBillingMode: PAY_PER_REQUEST",
/// )
/// ```
///
/// A restJson operation writes its protocol as `RestJson { body: true }` (or `false`, for one without a body):
/// its URI members (path, query string, headers) are the members its setters name, so they are not written twice.
/// A CloudWatch operation writes `Query`: it is sent as awsQuery ([`crate::aws::cloudwatch`]).
macro_rules! call {
    // The row itself, once the call is built.
    (@row $op:block, $service:literal, $operation:literal, $effect:ident;
     $(pages: $pages:expr,)?
     members: $members:expr,
     $(iam: $iam:expr,)?
     resource: $resource:expr,
     $(grants: $grants:expr,)?
     summary: $summary:expr,
     example: $example:expr $(,)?) => {
        $crate::actions::ActionSpec {
            name: concat!($service, ".", $operation),
            execute: execute!(
                {
                    const OP: $crate::aws::AwsOp = $op;
                    &OP
                };
                $($pages)?
            ),
            effect: $crate::aws::Effect::$effect,
            reach: $crate::actions::Reach::Aws,
            members: $members,
            iam: given_or!($($iam)?; &[concat!($service, ":", $operation)]),
            resource: $resource,
            grants: given_or!($($grants)?; &[]),
            summary: $summary,
            example: $example,
        }
    };
    ($client:ident . $method:ident $({ $($setter:ident : $kind:ident ( $member:literal )),* $(,)? })?,
     $service:literal, $operation:literal, $effect:ident, RestJson { body: $body:literal };
     $($row:tt)*) => {
        call!(
            $client.$method $({ $($setter: $kind($member)),* })?,
            $service, $operation, $effect,
            $crate::aws::Protocol::RestJson { uri: &[$($($member),*)?], body: $body };
            $($row)*
        )
    };
    // CloudWatch is sent as awsQuery through a client that speaks CBOR (src/aws/cloudwatch.rs).
    (cloudwatch . $method:ident, "cloudwatch", $operation:literal, $effect:ident, Query; $($row:tt)*) => {
        call!(
            @row { $crate::aws::cloudwatch::query_op!($method, $operation, $effect) },
            "cloudwatch", $operation, $effect;
            $($row)*
        )
    };
    ($client:ident . $method:ident $({ $($setter:ident : $kind:ident ( $member:literal )),* $(,)? })?,
     $service:literal, $operation:literal, $effect:ident, $protocol:expr;
     $($row:tt)*) => {
        call!(
            @row {
                $crate::aws_op!(
                    $client.$method $({ $($setter: $kind($member)),* })?,
                    $service, $operation, $effect, $protocol
                )
            },
            $service, $operation, $effect;
            $($row)*
        )
    };
}

/// The expression given, else the default (an optional argument of [`call!`]).
macro_rules! given_or {
    (; $default:expr) => {
        $default
    };
    ($given:expr; $default:expr) => {
        $given
    };
}

/// A single call, or a paged one when the row says how its pages continue.
macro_rules! execute {
    ($op:expr;) => {
        $crate::actions::Execute::Call($op)
    };
    ($op:expr; $pages:expr) => {
        $crate::actions::Execute::Paged($op, $pages)
    };
}

mod athena;
mod ce;
mod cloudformation;
mod cloudwatch;
pub mod composites;
mod core;
mod dynamodb;
mod dynamodbstreams;
mod eventbridge;
mod glue;
mod http;
mod lambda;
mod logs;
pub mod observed;
mod run_context;
mod s3;
mod s3tables;
mod sns;
mod sqs;
mod sts;
pub mod undo;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use crate::aws::Effect;
use crate::language::action_shape::{ActionShape, ActionTable};
pub use crate::language::action_shape::{LiteralRule, Member, MemberType, opt, req};

/// How an action runs.
#[derive(Debug)]
pub enum Execute {
    /// Exactly one AWS API call; the step's `output` is the API's response.
    Call(&'static crate::aws::AwsOp),
    /// A list operation whose results continue on later pages: the engine sends it again with each page's token
    /// until the last page ([`crate::engine`]'s `pages`), every page a call of its own in the journal, and the
    /// step's `output` is the first page's response with the lists of every page joined.
    Paged(&'static crate::aws::AwsOp, Pages),
    /// Built-ins and composites: code that makes any number of calls through the run's [`RunContext`], each
    /// retried and reported like a single call.
    Run(RunFn),
}

/// Where a paged list operation keeps its place, in the API's own member names.
#[derive(Clone, Copy, Debug)]
pub struct Pages {
    /// The request member that asks for the page after a token, e.g. DynamoDB ListTables'
    /// `ExclusiveStartTableName`.
    pub request_token: &'static str,
    /// The response member that carries the token; absent, null or empty on the last page, e.g.
    /// `LastEvaluatedTableName`.
    pub response_token: &'static str,
    /// The response lists that continue on the next page, e.g. `TableNames`.
    pub lists: &'static [&'static str],
}

impl Pages {
    /// `Marker` in, `NextMarker` out (Lambda).
    pub const fn markers(lists: &'static [&'static str]) -> Pages {
        Pages {
            request_token: "Marker",
            response_token: "NextMarker",
            lists,
        }
    }

    /// `NextToken` in and out (CloudFormation, Glue, SQS, most newer APIs).
    pub const fn next_token(lists: &'static [&'static str]) -> Pages {
        Pages {
            request_token: "NextToken",
            response_token: "NextToken",
            lists,
        }
    }
}

/// One row of the registry.
#[derive(Debug, serde::Serialize)]
pub struct ActionSpec {
    /// `<service>.<Operation>`, e.g. `dynamodb.RestoreTableToPointInTime`.
    pub name: &'static str,
    #[serde(skip)]
    pub execute: Execute,
    pub effect: Effect,
    /// What a step of this action reaches outside the process; asked instead of the name's prefix.
    #[serde(skip)]
    pub reach: Reach,
    pub members: &'static [Member],
    /// IAM actions the caller needs, e.g. `dynamodb:RestoreTableToPointInTime`.
    pub iam: &'static [&'static str],
    /// The resource acted on, with `{Member}` placeholders filled from the request in plans,
    /// e.g. `arn:aws:dynamodb:{region}:{account}:table/{TargetTableName}`.
    pub resource: &'static str,
    /// IAM actions of `iam` that act on something other than `resource` (a composite's reads of the objects a
    /// catalog points at, a move's destination queue), each with its own resources; the rest act on `resource`.
    pub grants: &'static [Grant],
    /// One line for plans and `runbook actions`, with `{Member}` placeholders.
    pub summary: &'static str,
    /// A `with:` block showing typical use, as YAML.
    pub example: &'static str,
}

/// What an action's step reaches outside the process: whether a run needs AWS credentials for it, whether an
/// offline plan may still evaluate it, whether a plan's summary counts it as a read that was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Nothing: computed in the process (`core.noop`, `core.log`, `core.fail`), so even an offline plan runs it.
    Process,
    /// Nothing but the clock (`core.sleep`): not a call, yet a plan offline or after an unsent write does not
    /// wait for it.
    Wait,
    /// Any HTTP endpoint (`http.*`): a call, but not to AWS, so no AWS configuration is needed.
    Http,
    /// AWS, through the run's configuration and credentials.
    Aws,
}

impl Reach {
    /// A call leaves the process (HTTP or AWS); `Process` and `Wait` do not.
    pub fn sends(self) -> bool {
        matches!(self, Reach::Http | Reach::Aws)
    }
}

/// Some of an action's IAM actions and the resources they act on, with the same placeholders as
/// [`ActionSpec::resource`].
#[derive(Debug, serde::Serialize)]
pub struct Grant {
    pub actions: &'static [&'static str],
    pub resources: &'static [&'static str],
}

impl ActionSpec {
    /// Every IAM action with the resource patterns it acts on, in `iam` order: from [`ActionSpec::grants`] where
    /// one names it, else [`ActionSpec::resource`].
    pub fn permissions(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        self.iam
            .iter()
            .map(|action| {
                let resources: Vec<&'static str> = self
                    .grants
                    .iter()
                    .filter(|grant| grant.actions.contains(action))
                    .flat_map(|grant| grant.resources.iter().copied())
                    .collect();
                if resources.is_empty() {
                    (*action, vec![self.resource])
                } else {
                    (*action, resources)
                }
            })
            .collect()
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// What the language validates a step of this action against.
    pub fn shape(&self) -> ActionShape {
        ActionShape {
            name: self.name,
            effect: self.effect,
            members: self.members,
            example: self.example,
        }
    }

    /// The one call a single-call row sends, for a composite that sends it too. Taken in a const
    /// (`const GET_TABLE: &AwsOp = glue::GET_TABLE.sent();`), a row of another kind fails the build.
    pub const fn sent(&self) -> &'static crate::aws::AwsOp {
        match self.execute {
            Execute::Call(op) | Execute::Paged(op, _) => op,
            Execute::Run(_) => panic!("a composite or built-in row sends no single call"),
        }
    }

    /// How the action's results continue on later pages, when they do.
    pub fn pages(&self) -> Option<&Pages> {
        match &self.execute {
            Execute::Paged(_, pages) => Some(pages),
            _ => None,
        }
    }
}

/// A resource pattern with each `{placeholder}` replaced by what `value` gives for its name, and kept as
/// written where it gives nothing.
pub fn fill_placeholders(pattern: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        match value(name) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[open..open + close + 1]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A request member (`Bucket`, or a dotted path into a structure) as text, when it is set.
pub fn request_member(
    request: &serde_json::Map<String, serde_json::Value>,
    path: &str,
) -> Option<String> {
    let mut parts = path.split('.');
    let mut value = request.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Every service table, in the order `runbook actions` lists them.
const SERVICES: &[&[ActionSpec]] = &[
    core::ACTIONS,
    http::ACTIONS,
    athena::ACTIONS,
    ce::ACTIONS,
    cloudformation::ACTIONS,
    cloudwatch::ACTIONS,
    dynamodb::ACTIONS,
    dynamodbstreams::ACTIONS,
    eventbridge::ACTIONS,
    glue::ACTIONS,
    lambda::ACTIONS,
    logs::ACTIONS,
    s3::ACTIONS,
    s3tables::ACTIONS,
    sns::ACTIONS,
    sqs::ACTIONS,
    sts::ACTIONS,
];

/// Every declaration of what a write changes ([`observed`]).
const OBSERVED: &[&[Observed]] = &[
    dynamodb::OBSERVED,
    glue::OBSERVED,
    lambda::OBSERVED,
    s3tables::OBSERVED,
    sqs::OBSERVED,
];

pub use observed::{Field, How, Observed};
pub use run_context::{Attempt, RunContext, RunFn};

/// How to see what the write `name` changes, when it is declared.
pub fn observed(name: &str) -> Option<&'static Observed> {
    OBSERVED
        .iter()
        .flat_map(|table| table.iter())
        .find(|observed| observed.action == name)
}

/// All actions, in table order.
pub fn all() -> impl Iterator<Item = &'static ActionSpec> {
    SERVICES.iter().flat_map(|table| table.iter())
}

/// The action with this exact name.
pub fn lookup(name: &str) -> Option<&'static ActionSpec> {
    static INDEX: OnceLock<HashMap<&'static str, &'static ActionSpec>> = OnceLock::new();
    INDEX
        .get_or_init(|| all().map(|spec| (spec.name, spec)).collect())
        .get(name)
        .copied()
}

/// The actions a run may name, handed to the validator (as an [`ActionTable`]) and to the engine, which finds a
/// validated step's executor here by its action's name: the registry's rows ([`TABLE`]), and in the engine's tests
/// rows of their own besides.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    more: &'static [&'static ActionSpec],
}

/// The registry's actions.
pub const TABLE: Table = Table { more: &[] };

impl Table {
    /// The registry's actions and `more`, which must not reuse a registry name.
    pub const fn with(more: &'static [&'static ActionSpec]) -> Table {
        Table { more }
    }

    /// The action with this exact name.
    pub fn lookup(&self, name: &str) -> Option<&'static ActionSpec> {
        lookup(name).or_else(|| self.more.iter().copied().find(|spec| spec.name == name))
    }

    /// The row of an action the validator found in this table.
    ///
    /// # Panics
    /// When the runbook was validated against a table that had the action and this one does not: a mistake of
    /// the caller's, never of the runbook's.
    pub fn row(&self, action: &ActionShape) -> &'static ActionSpec {
        self.lookup(action.name).unwrap_or_else(|| {
            panic!(
                "{} was validated against another table of actions",
                action.name
            )
        })
    }
}

impl ActionTable for Table {
    fn shape(&self, name: &str) -> Option<ActionShape> {
        self.lookup(name).map(ActionSpec::shape)
    }

    fn names(&self) -> Vec<&'static str> {
        all()
            .chain(self.more.iter().copied())
            .map(|spec| spec.name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for spec in all() {
            assert!(seen.insert(spec.name), "duplicate action {}", spec.name);
            let (service, operation) = spec.name.split_once('.').expect("service.Operation");
            assert!(
                !service.is_empty() && !operation.is_empty(),
                "{}",
                spec.name
            );
            let mut members = HashSet::new();
            for member in spec.members {
                assert!(
                    members.insert(member.name),
                    "{} lists {} twice",
                    spec.name,
                    member.name
                );
            }
        }
    }

    /// The reach was a test of the name's prefix before it was a field: the prefixes and the rows still agree.
    #[test]
    fn reach_follows_the_namespace() {
        for spec in all() {
            let expected = match spec.name.split_once('.').map(|(namespace, _)| namespace) {
                Some("core") if spec.name == "core.sleep" => Reach::Wait,
                Some("core") => Reach::Process,
                Some("http") => Reach::Http,
                _ => Reach::Aws,
            };
            assert_eq!(spec.reach, expected, "{}", spec.name);
        }
        assert!(Reach::Aws.sends() && Reach::Http.sends());
        assert!(!Reach::Process.sends() && !Reach::Wait.sends());
    }

    #[test]
    fn aws_actions_declare_iam_permissions() {
        for spec in all().filter(|s| s.reach == Reach::Aws) {
            assert!(!spec.iam.is_empty(), "{} declares no IAM action", spec.name);
        }
    }

    #[test]
    fn grants_name_only_actions_of_the_row() {
        for spec in all() {
            for grant in spec.grants {
                assert!(
                    !grant.resources.is_empty(),
                    "{}: a grant without resources",
                    spec.name
                );
                for action in grant.actions {
                    assert!(
                        spec.iam.contains(action),
                        "{}: grant names {action}, which `iam` does not list",
                        spec.name
                    );
                }
            }
        }
    }

    #[test]
    fn paged_actions_name_their_token_as_an_input_member_and_read() {
        let paged: Vec<&ActionSpec> = all().filter(|spec| spec.pages().is_some()).collect();
        for name in [
            "dynamodb.ListTables",
            "dynamodb.ListBackups",
            "lambda.ListVersionsByFunction",
            "cloudformation.DescribeStackEvents",
            "glue.GetTableVersions",
        ] {
            assert!(
                paged.iter().any(|spec| spec.name == name),
                "{name} is not paged"
            );
        }
        for spec in paged {
            let pages = spec.pages().unwrap();
            assert_eq!(spec.effect, Effect::Read, "{} pages but writes", spec.name);
            assert!(
                spec.member(pages.request_token).is_some(),
                "{}: {} is not one of its members",
                spec.name,
                pages.request_token
            );
            assert!(!pages.lists.is_empty(), "{} joins no list", spec.name);
        }
    }

    #[test]
    fn what_writes_change_is_declared_against_real_actions_and_members() {
        let mut seen = HashSet::new();
        for observed in OBSERVED.iter().flat_map(|table| table.iter()) {
            assert!(seen.insert(observed.action), "{} twice", observed.action);
            observed.check().unwrap();
        }
        for name in [
            "lambda.UpdateAlias",
            "lambda.UpdateFunctionConfiguration",
            "glue.iceberg_rollback",
            "s3tables.iceberg_rollback",
            "sqs.move_messages",
            "dynamodb.CreateBackup",
        ] {
            assert!(observed(name).is_some(), "{name} declares no change");
        }
    }

    #[test]
    fn every_row_of_one_call_is_named_after_the_operation_it_sends() {
        for spec in all() {
            let op = match &spec.execute {
                Execute::Call(op) | Execute::Paged(op, _) => op,
                Execute::Run(_) => continue,
            };
            assert_eq!(
                spec.name,
                format!("{}.{}", op.service, op.operation),
                "the row {} sends {}.{}",
                spec.name,
                op.service,
                op.operation
            );
            assert_eq!(
                spec.effect, op.effect,
                "{}: the row's effect is not the call's",
                spec.name
            );
        }
    }

    /// The validator once recognised these actions by name; now the rows say it, and only these rows.
    #[test]
    fn literal_rules_are_where_the_validator_once_looked_by_name() {
        let ruled: Vec<(&str, &str, LiteralRule)> = all()
            .flat_map(|spec| spec.members.iter().map(move |member| (spec, member)))
            .filter(|(_, member)| member.literal != LiteralRule::Any)
            .map(|(spec, member)| (spec.name, member.name, member.literal))
            .collect();
        assert_eq!(
            ruled,
            [
                ("core.sleep", "duration", LiteralRule::Duration),
                (
                    "http.request",
                    "method",
                    LiteralRule::ReadOnlyMethod {
                        otherwise: "http.send"
                    }
                ),
            ]
        );
        assert_eq!(
            lookup("http.send").map(|spec| spec.effect),
            Some(Effect::Write)
        );
    }

    #[test]
    fn the_table_shapes_its_rows_and_finds_the_extra_ones() {
        static EXTRA: ActionSpec = ActionSpec {
            name: "test.extra",
            execute: Execute::Run(|_, _| Box::pin(async { Ok(serde_json::Value::Null) })),
            effect: Effect::Write,
            reach: Reach::Process,
            members: &[],
            iam: &[],
            resource: "-",
            grants: &[],
            summary: "extra",
            example: "{}",
        };
        static WITH_EXTRA: Table = Table::with(&[&EXTRA]);
        let shape = TABLE.shape("dynamodb.DescribeTable").expect("a row");
        assert_eq!(
            (shape.name, shape.effect),
            ("dynamodb.DescribeTable", Effect::Read)
        );
        assert!(
            shape
                .member("TableName")
                .is_some_and(|member| member.required)
        );
        assert!(TABLE.shape("test.extra").is_none());
        assert!(!TABLE.names().contains(&"test.extra"));
        let extra = WITH_EXTRA.shape("test.extra").expect("the extra row");
        assert_eq!(extra.effect, Effect::Write);
        assert!(std::ptr::eq(WITH_EXTRA.row(&extra), &EXTRA));
        assert_eq!(WITH_EXTRA.names().len(), TABLE.names().len() + 1);
    }

    #[test]
    fn lookup_finds_by_exact_name() {
        assert_eq!(
            lookup("dynamodb.DescribeTable").map(|s| s.effect),
            Some(Effect::Read)
        );
        assert_eq!(
            lookup("dynamodb.DeleteTable").map(|s| s.effect),
            Some(Effect::Write)
        );
        assert!(lookup("dynamodb.describeTable").is_none());
    }
}
