//! The text of each input value as the case file writes it. `serde_json`'s `Value` keeps an
//! object's members sorted by name, while ksqlDB's harness reads a case with Jackson, whose
//! `ObjectNode` keeps the file's order, and writes a JSON input record in that order. A
//! record's member order shows wherever a column reads an object as text (a STRING column
//! holding a nested object keeps it as written), so the runner writes a JSON-format input
//! object or array from its original text, which [`annotate`] stores on the input as
//! [`VALUE_TEXT`]. Nothing else of the case is read here.

use serde::Deserialize;
use serde_json::Value as Json;
use serde_json::value::RawValue;

/// The member [`annotate`] adds to an input whose value is an object or an array.
pub const VALUE_TEXT: &str = "valueTextAsWritten";

#[derive(Deserialize)]
struct File<'a> {
    #[serde(borrow, default)]
    tests: Vec<Case<'a>>,
}

#[derive(Deserialize)]
struct Case<'a> {
    #[serde(borrow, default)]
    inputs: Vec<Input<'a>>,
}

#[derive(Deserialize)]
struct Input<'a> {
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

/// Stores on every input of `doc` (parsed from `text`) whose value is an object or an array
/// that value's text as written. Leaves `doc` as it is when `text` does not have the shape.
pub fn annotate(doc: &mut Json, text: &str) {
    let Ok(file) = serde_json::from_str::<File>(text) else {
        return;
    };
    let Some(cases) = doc.get_mut("tests").and_then(Json::as_array_mut) else {
        return;
    };
    for (case, raw) in cases.iter_mut().zip(&file.tests) {
        let Some(inputs) = case.get_mut("inputs").and_then(Json::as_array_mut) else {
            continue;
        };
        for (input, raw) in inputs.iter_mut().zip(&raw.inputs) {
            let Some(value) = raw.value.map(RawValue::get) else {
                continue;
            };
            if value.starts_with(['{', '['])
                && let Some(members) = input.as_object_mut()
            {
                members.insert(VALUE_TEXT.into(), Json::String(value.to_owned()));
            }
        }
    }
}
