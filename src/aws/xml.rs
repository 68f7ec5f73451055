//! XML responses (awsQuery, restXml) as JSON in the API's own member names.
//!
//! Without the service model we cannot know every type, so the rules are few and stated: an element with text
//! only is a string (AWS's own CLI prints these the same way, and templates compare them as strings); an element
//! whose children are all `<member>` is a list; a name repeated among siblings is a list; a name in `lists` is a
//! list even when it appears once or is empty (S3's flattened `Contents`). The root element is unwrapped.

use quick_xml::events::Event;
use serde_json::{Map, Value};

struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

pub fn parse(bytes: &[u8], lists: &[&str]) -> Result<Value, String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element {
        name: String::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|error| format!("invalid XML in the response: {error}"))?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                children: Vec::new(),
                text: String::new(),
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    children: Vec::new(),
                    text: String::new(),
                };
                stack.last_mut().expect("root").children.push(element);
            }
            Event::End(_) => {
                let element = stack.pop().expect("balanced");
                stack
                    .last_mut()
                    .ok_or("unbalanced XML in the response")?
                    .children
                    .push(element);
            }
            Event::Text(text) => {
                let decoded = text
                    .decode()
                    .map_err(|error| format!("invalid XML text in the response: {error}"))?;
                let unescaped = quick_xml::escape::unescape(&decoded)
                    .map_err(|error| format!("invalid XML escape in the response: {error}"))?;
                stack.last_mut().expect("root").text.push_str(&unescaped);
            }
            Event::GeneralRef(reference) => {
                let name = reference
                    .decode()
                    .map_err(|error| format!("invalid XML reference: {error}"))?;
                let text = quick_xml::escape::unescape(&format!("&{name};"))
                    .map_err(|error| format!("invalid XML escape in the response: {error}"))?
                    .into_owned();
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::CData(data) => {
                stack
                    .last_mut()
                    .expect("root")
                    .text
                    .push_str(&String::from_utf8_lossy(&data));
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    let document = stack.pop().ok_or("empty XML response")?;
    match document.children.into_iter().next() {
        Some(root) => Ok(convert(&root, lists)),
        None => Err("empty XML response".into()),
    }
}

fn convert(element: &Element, lists: &[&str]) -> Value {
    if element.children.is_empty() {
        if lists.contains(&element.name.as_str()) {
            return Value::Array(Vec::new());
        }
        return Value::String(element.text.clone());
    }
    if element
        .children
        .iter()
        .all(|child| child.name == "member" || child.name == "item")
    {
        return Value::Array(
            element
                .children
                .iter()
                .map(|child| convert(child, lists))
                .collect(),
        );
    }
    let mut map = Map::new();
    for child in &element.children {
        let value = convert(child, lists);
        let repeated = element
            .children
            .iter()
            .filter(|other| other.name == child.name)
            .count()
            > 1;
        let listed = lists.contains(&child.name.as_str()) && !value.is_array();
        if repeated || listed {
            match map
                .entry(child.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(value),
                other => *other = Value::Array(vec![other.take(), value]),
            }
        } else {
            map.insert(child.name.clone(), value);
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_lists_repeated_names_and_hinted_lists() {
        let xml = br#"<?xml version="1.0"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>b</Name><KeyCount>1</KeyCount>
              <Contents><Key>a&amp;b</Key><Size>3</Size></Contents>
              <Tags><member><Key>k</Key></member><member><Key>j</Key></member></Tags>
              <Empty/>
            </ListBucketResult>"#;
        assert_eq!(
            parse(xml, &["Contents", "Empty"]).unwrap(),
            json!({
                "Name": "b",
                "KeyCount": "1",
                "Contents": [{"Key": "a&b", "Size": "3"}],
                "Tags": [{"Key": "k"}, {"Key": "j"}],
                "Empty": []
            })
        );
    }

    #[test]
    fn invalid_xml_is_an_error() {
        assert!(parse(b"<a><b></a>", &[]).is_err());
        assert!(parse(b"", &[]).is_err());
    }
}
