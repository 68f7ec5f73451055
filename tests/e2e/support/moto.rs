//! A real AWS API emulator for tests: moto's server on 127.0.0.1, one per test binary process.
//!
//! `.ci/run` (through `scripts/test`) installs the pinned moto into `~/.cache/runbook-venv`; set
//! `RUNBOOK_MOTO_SERVER` to use another `moto_server` executable.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn executable() -> PathBuf {
    if let Ok(path) = std::env::var("RUNBOOK_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = std::env::var("RUNBOOK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/runbook-venv")
        });
    let candidate = venv.join("bin/moto_server");
    if candidate.exists() {
        return candidate;
    }
    panic!(
        "moto_server not found at {}: run `bash scripts/test` (it installs the emulator) or set RUNBOOK_MOTO_SERVER",
        candidate.display()
    );
}

/// Another executable of the emulator's virtualenv (`parliament`, `python`), beside moto_server.
pub fn venv_bin(name: &str) -> PathBuf {
    executable().with_file_name(name)
}

/// moto's server through `scripts/moto_server.py`, every emulator the tests start: it gives moto's Step Functions
/// its JSONata evaluator, and with `--tethered` exits when this test process is gone, so that an emulator held in a
/// static (whose destructor never runs) or left by a panicking or killed test does not outlive the binary
/// (`tests/e2e/emulators.rs` proves it). A `RUNBOOK_MOTO_SERVER` outside a virtualenv has no Python beside it to
/// import moto from, and runs as it is (without JSONata).
fn tethered_command() -> Command {
    let server = executable();
    let python = server.with_file_name("python");
    if !python.exists() {
        return Command::new(server);
    }
    let launcher = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/moto_server.py");
    let mut command = Command::new(python);
    command.arg(launcher).arg("--tethered");
    command
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    /// Starts a fresh emulator with its own state.
    pub fn start() -> Moto {
        let port = free_port();
        let child = tethered_command()
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ALLOW_NONEXISTENT_REGION", "true")
            // Where moto's Step Functions interpreter sends the service calls of the state machines it executes.
            .env("MOTO_PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// The emulator's process (moto's server, in the tether's process).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .expect("an endpoint with a port")
    }

    /// One emulator shared by every test of a test binary; tests use distinct resource names.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Environment for the CLI or the SDK: fake credentials, eu-west-1, this endpoint.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_REGION", "eu-west-1".into()),
            ("AWS_DEFAULT_REGION", "eu-west-1".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// An SDK configuration pointed at this emulator, for seeding and checking state in tests.
    pub async fn sdk_config(&self) -> aws_types::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }

    /// Our own client set, as the engine builds it, pointed at this emulator.
    pub async fn aws(&self) -> runbook::aws::Aws {
        runbook::aws::Aws::from_sdk_config(self.sdk_config().await)
    }

    /// POSTs `body` to one of moto's own endpoints (`/moto-api/...`): configuration and canned results for
    /// services whose results moto cannot compute (Athena rows, Cost Explorer figures, Lambda invocations).
    pub async fn moto_api(&self, path: &str, body: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.endpoint))
            .json(&body)
            .send()
            .await
            .expect("reach moto's API");
        assert!(
            response.status().is_success(),
            "moto answered {} to {path}",
            response.status()
        );
    }

    /// Switches this emulator to moto's simple Lambda backend, which runs no Docker container: `Invoke` answers
    /// with the request payload, or with results queued by [`Moto::queue_lambda_result`]. Functions live in the
    /// backend that was active when they were created, so call this before creating any.
    pub async fn lambda_without_docker(&self) {
        self.moto_api(
            "/moto-api/config",
            serde_json::json!({"lambda": {"use_docker": false}}),
        )
        .await;
    }

    /// The next `Invoke` of the simple Lambda backend in eu-west-1 answers `result`.
    pub async fn queue_lambda_result(&self, result: &str) {
        self.moto_api(
            "/moto-api/static/lambda-simple/response",
            serde_json::json!({"region": "eu-west-1", "results": [result]}),
        )
        .await;
    }

    /// Creates an IAM role Lambda may assume (moto checks that a function's role exists) and returns its ARN.
    pub async fn create_lambda_role(&self, name: &str) -> String {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let (status, body) = self
            .iam(&[
                ("Action", "CreateRole"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", policy),
            ])
            .await;
        // EntityAlreadyExists is fine: tests of one binary share the emulator.
        assert!(
            status.is_success() || body.contains("EntityAlreadyExists"),
            "CreateRole: {status} {body}"
        );
        format!("arn:aws:iam::123456789012:role/{name}")
    }
}

impl Moto {
    /// Step Functions executions run their definitions (moto only records them by default); the states' AWS calls
    /// come back to this emulator (`MOTO_PORT`).
    pub async fn execute_state_machines(&self) {
        self.moto_api(
            "/moto-api/config",
            serde_json::json!({"stepfunctions": {"execute_state_machine": true}}),
        )
        .await;
    }

    /// An on-demand table with a string hash key `key`, for tests that need somewhere to read and write.
    pub async fn create_table(&self, name: &str, key: &str) {
        Moto::create_table_at(&self.sdk_config().await, name, key).await;
    }

    /// [`Moto::create_table`] through any SDK configuration (a sandbox started by `scripts/sandbox`).
    pub async fn create_table_at(config: &aws_types::SdkConfig, name: &str, key: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let sdk = aws_sdk_dynamodb::Client::new(config);
        sdk.create_table()
            .table_name(name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(key)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("a complete attribute definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key)
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("a complete key schema element"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("create the table");
    }

    /// The item whose string hash key `PK` is `key`, read with the SDK, to check what a run wrote.
    pub async fn get_item(
        &self,
        table: &str,
        key: &str,
    ) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
            .get_item()
            .table_name(table)
            .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(key.into()))
            .send()
            .await
            .expect("read the item")
            .item
    }

    /// Turns moto's IAM enforcement on (every later request must be signed by an IAM user whose policies allow
    /// it, as far as moto evaluates them; tests/e2e/policy.rs says how far) or off. Seed the world and create the
    /// users first: with enforcement on, the tests' `testing` keys are refused.
    pub async fn enforce_iam(&self, on: bool) {
        // moto's switch: how many requests to let through unauthenticated from now on.
        let response = reqwest::Client::new()
            .post(format!("{}/moto-api/reset-auth", self.endpoint))
            .header("Content-Type", "text/plain")
            .body(if on { "0" } else { "inf" })
            .send()
            .await
            .expect("reach moto's API");
        assert!(
            response.status().is_success(),
            "reset-auth answered {}",
            response.status()
        );
    }

    /// Forgets every resource (IAM included), as a fresh emulator would; enforcement is left as it is.
    pub async fn reset(&self) {
        self.moto_api("/moto-api/reset", serde_json::json!({}))
            .await;
    }

    /// Creates IAM user `name` whose only permissions are `policy` (a policy document) and returns its access
    /// key and secret. Needs enforcement off.
    pub async fn create_user_with_policy(&self, name: &str, policy: &str) -> (String, String) {
        for form in [
            &[("Action", "CreateUser"), ("UserName", name)][..],
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", name),
                ("PolicyName", "runbook"),
                ("PolicyDocument", policy),
            ][..],
        ] {
            let (status, body) = self.iam(form).await;
            assert!(status.is_success(), "IAM {form:?}: {status} {body}");
        }
        let (status, body) = self
            .iam(&[("Action", "CreateAccessKey"), ("UserName", name)])
            .await;
        assert!(status.is_success(), "CreateAccessKey: {status} {body}");
        let element = |tag: &str| {
            let open = format!("<{tag}>");
            let start = body.find(&open).map(|i| i + open.len());
            let end = body.find(&format!("</{tag}>"));
            match (start, end) {
                (Some(start), Some(end)) => body[start..end].to_string(),
                _ => panic!("CreateAccessKey named no {tag}: {body}"),
            }
        };
        (element("AccessKeyId"), element("SecretAccessKey"))
    }

    /// One IAM call, awsQuery written out (there is no IAM SDK crate in the tree).
    async fn iam(&self, form: &[(&str, &str)]) -> (reqwest::StatusCode, String) {
        let mut form = form.to_vec();
        form.push(("Version", "2010-05-08"));
        self.aws_query("us-east-1", "iam", &form).await
    }

    /// One awsQuery request (a form POST) for a call the SDK crates of the tree cannot make. moto routes it by
    /// the credential scope's region and service, and does not check the signature while it does not enforce IAM.
    pub async fn aws_query(
        &self,
        region: &str,
        service: &str,
        form: &impl serde::Serialize,
    ) -> (reqwest::StatusCode, String) {
        let response = reqwest::Client::new()
            .post(&self.endpoint)
            .header(
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=testing/20250101/{region}/{service}/aws4_request, \
                     SignedHeaders=host, Signature=0"
                ),
            )
            .form(form)
            .send()
            .await
            .unwrap_or_else(|error| panic!("reach moto's {service}: {error}"));
        let status = response.status();
        (status, response.text().await.unwrap_or_default())
    }

    /// [`Moto::env`] with another principal's keys.
    pub fn env_as(&self, (key, secret): &(String, String)) -> Vec<(&'static str, String)> {
        let mut env: Vec<(&'static str, String)> = self
            .env()
            .into_iter()
            .filter(|(name, _)| {
                !name.starts_with("AWS_ACCESS_KEY_ID")
                    && !name.starts_with("AWS_SECRET")
                    && *name != "AWS_SESSION_TOKEN"
            })
            .collect();
        env.push(("AWS_ACCESS_KEY_ID", key.clone()));
        env.push(("AWS_SECRET_ACCESS_KEY", secret.clone()));
        env
    }

    /// Seeds the sandbox's world (scripts/seed/seed.py with `args`, e.g. `--only dynamodb`) with the Python
    /// beside moto_server, and returns the seed's description of it.
    pub fn seed(&self, args: &[&str]) -> serde_json::Value {
        let python = venv_bin("python");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/seed/seed.py");
        let output = Command::new(python)
            .arg(script)
            .args(args)
            .envs(self.env())
            .output()
            .expect("run seed.py");
        assert!(
            output.status.success(),
            "seed.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("seed.py prints JSON")
    }
}
