//! What of a request body the DLP patterns read, by content type, as pipelock's
//! `extractBodyText` does: the strings of a JSON document (keys and values, keys sorted), the
//! decoded keys and values of a form, and the raw text of anything else. Each string is
//! scanned on its own first; then all of them sorted and joined, which catches a secret split
//! across fields.

use serde_json::Value;

/// The strings pipelock scans in `body`, or `Err(reason)` for a body it refuses to parse
/// (which it blocks whatever the action).
pub fn texts(content_type: Option<&str>, body: &[u8]) -> Result<Vec<String>, String> {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media == "application/json" || media.ends_with("+json") {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| "invalid JSON body".to_owned())?;
        let mut out = Vec::new();
        json_strings(&value, 0, &mut out);
        return Ok(out);
    }
    if media == "application/x-www-form-urlencoded" {
        let text = std::str::from_utf8(body)
            .map_err(|_| "invalid application/x-www-form-urlencoded body".to_owned())?;
        let mut out = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            out.push(form_decode(key)?);
            out.push(form_decode(value)?);
        }
        return Ok(out);
    }
    // Text, and every other type as a fallback: an attacker chooses the content type.
    Ok(vec![String::from_utf8_lossy(body).into_owned()])
}

/// Pipelock's `maxExtractDepth`.
const MAX_DEPTH: usize = 64;

fn json_strings(value: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(items) => items.iter().for_each(|v| json_strings(v, depth + 1, out)),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                out.push(key.clone());
                json_strings(&map[key], depth + 1, out);
            }
        }
        Value::Null => {}
    }
}

/// `+` is a space and `%XX` a byte, as Go's `url.ParseQuery` decodes; a bad escape is an error.
fn form_decode(text: &str) -> Result<String, String> {
    let bad = || "invalid application/x-www-form-urlencoded body".to_owned();
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_and_values_with_keys_sorted() {
        let got = texts(
            Some("application/json; charset=utf-8"),
            br#"{"b":[1,true],"a":"x"}"#,
        );
        assert_eq!(got.unwrap(), ["a", "x", "b", "1", "true"]);
        assert_eq!(
            texts(Some("application/json"), b"{nope").unwrap_err(),
            "invalid JSON body"
        );
    }

    #[test]
    fn forms_are_decoded_and_everything_else_is_raw() {
        let got = texts(
            Some("application/x-www-form-urlencoded"),
            b"token=a%2Bb+c&x",
        );
        assert_eq!(got.unwrap(), ["token", "a+b c", "x", ""]);
        assert_eq!(
            texts(Some("text/plain"), b"token=abc").unwrap(),
            ["token=abc"]
        );
        assert_eq!(texts(None, b"raw").unwrap(), ["raw"]);
    }
}
