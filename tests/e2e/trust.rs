//! What the agent or a cloned repository writes cannot widen the next bottle: workspace paths
//! reach the engine as they are.

use crate::support::{harness, manifest, unique_name, Bottle, Workspace};

#[test]
fn a_workspace_path_with_a_comma_is_mounted_as_it_is() {
    let Some(h) = harness() else { return };
    let name = unique_name("comma");
    // Unquoted, the comma would end the mount's source and start an option of its own.
    let ws = Workspace::named(
        &format!("bot-bottle-{name},readonly=true"),
        &manifest(&name, &["sleep", "infinity"]),
    );
    std::fs::write(ws.0.join("marker"), "comma-marker\n").unwrap();
    let out = h
        .bot_bottle(&ws)
        .args(["start", "-y", "--detach", "--json", "bottle.toml"])
        .output()
        .unwrap();
    let bottle = Bottle::started(&h, &name, ws, out);
    let seen = bottle.agent_sh("cat /workspace/marker");
    assert_eq!(seen.stdout, "comma-marker\n", "{}", seen.stderr);
}
