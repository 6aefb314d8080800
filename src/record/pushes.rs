//! The git gate's push log (`/var/lib/bot-bottle-gate/pushes.jsonl` in the gate): one JSON
//! object a line for every push it judged, appended as the push ends: `time`, `source`
//! (`git-gate`), `event` (`push`: taken and pushed upstream; `push_refused`), `upstream`, and
//! for each ref `ref`, `old`, `new`, with `reason` for a refusal (a push refused before its
//! refs were read, too large, has no `ref`).

use serde::{Deserialize, Serialize};

/// The push log's path in the gate (beside the mirrors, which are `<name>.git`).
pub const GATE_PATH: &str = "/var/lib/bot-bottle-gate/pushes.jsonl";
/// Its name in a record.
pub const FILE: &str = "gate-pushes.jsonl";
/// git's name for "no commit" (a created ref's old, a deleted ref's new).
const ZERO: &str = "0000000000000000000000000000000000000000";

/// One judged push of one ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    #[serde(default)]
    pub time: String,
    pub event: String,
    #[serde(default)]
    pub upstream: String,
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    #[serde(default)]
    pub old: Option<String>,
    #[serde(default)]
    pub new: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Push {
    /// Whether the gate took it (and the upstream too).
    pub fn accepted(&self) -> bool {
        self.event == "push"
    }

    /// The commit an accepted push left its ref at: `(upstream, ref, commit)`; `None` for a
    /// refusal or a deletion.
    pub fn landed(&self) -> Option<(&str, &str, &str)> {
        match (&self.reference, &self.new) {
            (Some(r), Some(new)) if self.accepted() && new != ZERO => {
                Some((&self.upstream, r, new))
            }
            _ => None,
        }
    }
}

/// The pushes in a log; an error names the line that does not parse.
pub fn parse(text: &str) -> Result<Vec<Push>, String> {
    let mut pushes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let push: Push = serde_json::from_str(line)
            .map_err(|e| format!("line {}: not a push the gate logged: {e}", i + 1))?;
        pushes.push(push);
    }
    Ok(pushes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_pushes_land_refusals_and_deletions_do_not() {
        let text = concat!(
            r#"{"time":"t","source":"git-gate","event":"push","upstream":"origin","ref":"refs/heads/bot/a","old":"0000000000000000000000000000000000000000","new":"1111111111111111111111111111111111111111"}"#,
            "\n",
            r#"{"time":"t","source":"git-gate","event":"push_refused","upstream":"origin","ref":"refs/heads/main","old":"a","new":"b","reason":"default branch"}"#,
            "\n",
            r#"{"time":"t","source":"git-gate","event":"push_refused","upstream":"origin","reason":"push too large","max_push_bytes":5}"#,
            "\n",
            r#"{"time":"t","source":"git-gate","event":"push","upstream":"origin","ref":"refs/heads/bot/b","old":"1111111111111111111111111111111111111111","new":"0000000000000000000000000000000000000000"}"#,
            "\n",
        );
        let pushes = parse(text).unwrap();
        let landed: Vec<_> = pushes.iter().filter_map(Push::landed).collect();
        assert_eq!(
            landed,
            [(
                "origin",
                "refs/heads/bot/a",
                "1111111111111111111111111111111111111111"
            )]
        );
        assert_eq!(pushes.iter().filter(|p| !p.accepted()).count(), 2);
        assert!(parse("{").unwrap_err().starts_with("line 1:"));
    }
}
