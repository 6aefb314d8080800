//! `bot-bottle export kube` without an engine: where the objects go, the private file it
//! writes, and bad input (exit 2, nothing written).

use std::os::unix::fs::PermissionsExt as _;

use std::path::Path;

use assert_cmd::Command;

use crate::support::{bot_bottle, stderr_of, stdout_of, Scratch};

const MANIFEST: &str = "name = \"exp\"\n\n[egress]\nallowlist = [\"upstream.example.com\"]\n";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A project directory, and a state directory of its own beside it where its manifests are
/// approved (an exported bottle, like a launched one, is made only from an approved manifest).
struct Project {
    dir: Scratch,
    state: Scratch,
}

impl Project {
    fn new(name: &str) -> Self {
        Project {
            dir: Scratch::new(name),
            state: Scratch::new(&format!("{name}-state")),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `bot-bottle` in the project, with its state directory.
    fn cmd(&self) -> Command {
        let mut cmd = bot_bottle(self.dir.path());
        cmd.env("BOT_BOTTLE_STATE_DIR", self.state.path());
        cmd
    }

    /// Writes `manifest` to `name` and approves it.
    fn approved(&self, name: &str, manifest: &str) -> std::path::PathBuf {
        let path = self.dir.write(name, manifest);
        let out = self.cmd().arg("approve").arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        path
    }
}

#[test]
fn stdout_gets_the_objects_and_stderr_the_warning() {
    let dir = Project::new("export-stdout");
    dir.approved("bottle.toml", MANIFEST);
    let out = dir.cmd().args(["export", "kube"]).output().unwrap();
    let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "warning: the output holds the bottle CA's private key (Secret bot-bottle-exp-ca-key)"
        ),
        "{stderr}"
    );
    let fingerprint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("bot-bottle: mitm ca fingerprint: "))
        .expect("the fingerprint is printed");
    assert!(stdout.starts_with("# bot-bottle export kube: the bottle \"exp\""));
    assert!(stdout.contains(fingerprint));
    for kind in ["NetworkPolicy", "ConfigMap", "Secret", "Pod"] {
        assert!(
            stdout.contains(&format!("\nkind: {kind}\n")),
            "{kind} missing"
        );
    }
    // Nothing else was written next to the manifest.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn output_is_a_new_private_file_and_is_never_overwritten_unasked() {
    let dir = Project::new("export-file");
    dir.approved("bottle.toml", MANIFEST);
    let out = dir
        .cmd()
        .args(["export", "kube", "-o", "bottle.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
    assert!(
        !stderr_of(&out).contains("warning"),
        "no warning for a private file"
    );
    let written = dir.path().join("bottle.yaml");
    assert_eq!(mode(&written), 0o600);
    let first = std::fs::read_to_string(&written).unwrap();

    // A second export to the same file is refused, and the file stays as it was.
    let again = dir
        .cmd()
        .args(["export", "kube", "-o", "bottle.yaml"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", stderr_of(&again));
    assert!(stderr_of(&again).contains("bottle.yaml exists; pass --force"));
    assert_eq!(std::fs::read_to_string(&written).unwrap(), first);

    // --force replaces it, and a replaced file of a looser mode comes back 0600.
    std::fs::set_permissions(&written, std::fs::Permissions::from_mode(0o644)).unwrap();
    let forced = dir
        .cmd()
        .args(["export", "kube", "-o", "bottle.yaml", "--force"])
        .output()
        .unwrap();
    assert!(forced.status.success(), "{}", stderr_of(&forced));
    assert_eq!(mode(&written), 0o600);
    assert_ne!(
        std::fs::read_to_string(&written).unwrap(),
        first,
        "a new CA"
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 2, "no temporary file is left");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = Scratch::new("export-bad");
    let manifest = dir.write(
        "bottle.toml",
        "[egress]\nallowlist = [\"https://evil.com\"]\n",
    );
    let out = bot_bottle(dir.path())
        .args(["export", "kube", "-o", "bottle.yaml"])
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("egress.allowlist[0]: invalid hostname"),
        "{stderr}"
    );
    assert!(!dir.path().join("bottle.yaml").exists());

    let project = Project::new("export-good");
    let good = project.approved("good.toml", MANIFEST);
    let missing_dir = project
        .cmd()
        .args(["export", "kube", "-o", "no/such/dir/bottle.yaml"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        missing_dir.status.code(),
        Some(2),
        "{}",
        stderr_of(&missing_dir)
    );
    assert!(stderr_of(&missing_dir).contains("cannot create no/such/dir/bottle.yaml"));

    let force_alone = bot_bottle(dir.path())
        .args(["export", "kube", "--force"])
        .output()
        .unwrap();
    assert_eq!(force_alone.status.code(), Some(2), "--force needs --output");
}

#[test]
fn an_unapproved_manifest_is_not_exported() {
    let dir = Project::new("export-unapproved");
    dir.dir.write("bottle.toml", MANIFEST);
    let out = dir
        .cmd()
        .args(["export", "kube", "-o", "bottle.yaml"])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("is new to bot-bottle"), "{stderr}");
    assert!(
        stderr.contains("+ egress.allowlist: upstream.example.com  (widens egress)"),
        "{stderr}"
    );
    assert!(!dir.path().join("bottle.yaml").exists());
}

#[test]
fn a_forwarded_anthropic_key_goes_to_the_key_holder_s_secret_and_is_never_printed() {
    use bot_bottle::kube::{parse, Object};

    let key = "sk-ant-api03-cliExportKeyNotReal-0000";
    let dir = Project::new("export-keys");
    let manifest = dir.dir.write(
        "bottle.toml",
        "name = \"exp\"\n\n[agent]\nenv = [\"ANTHROPIC_API_KEY\"]\n\n\
         [egress]\nallowlist = [\"upstream.example.com\"]\n",
    );
    // Approved as the export will run: with the key set, so the holder gets it.
    let out = dir
        .cmd()
        .env("ANTHROPIC_API_KEY", key)
        .arg("approve")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = dir
        .cmd()
        .env("ANTHROPIC_API_KEY", key)
        .args(["export", "kube"])
        .output()
        .unwrap();
    let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "warning: the output holds your Anthropic credential, from the host's \
             ANTHROPIC_API_KEY (an API key) (Secret bot-bottle-exp-credential); keep it private"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains(key) && !stdout.contains(key),
        "the key printed as it is"
    );
    // It is in the key holder's Secret, the one object that holds it, and the agent gets a
    // placeholder in its place.
    let objects = parse(&stdout).unwrap();
    let holding: Vec<&str> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Secret(s)
                if s.data
                    .iter()
                    .flatten()
                    .any(|(_, bytes)| String::from_utf8_lossy(&bytes.0).contains(key)) =>
            {
                s.metadata.name.as_deref()
            }
            _ => None,
        })
        .collect();
    assert_eq!(holding, ["bot-bottle-exp-credential"]);
    assert!(stdout.contains("name: ANTHROPIC_API_KEY\n      value: bot-bottle-placeholder-"));

    // Written to a file: 0600, and the user is told what it holds.
    let out = dir
        .cmd()
        .env("ANTHROPIC_API_KEY", key)
        .args(["export", "kube", "-o", "bottle.yaml"])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "bottle.yaml holds your Anthropic credential, from the host's ANTHROPIC_API_KEY"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(key));
    assert_eq!(mode(&dir.path().join("bottle.yaml")), 0o600);
}

#[test]
fn a_codex_bottle_s_openai_key_goes_to_the_key_holder_s_secret_and_is_never_printed() {
    let key = "sk-proj-cliExportOpenaiKeyNotReal-0000";
    let dir = Project::new("export-codex");
    let manifest = dir.dir.write(
        "bottle.toml",
        "name = \"exc\"\n\n[agent]\nkind = \"codex\"\nenv = [\"OPENAI_API_KEY\"]\n",
    );
    let out = dir
        .cmd()
        .env("OPENAI_API_KEY", key)
        .arg("approve")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = dir
        .cmd()
        .env("OPENAI_API_KEY", key)
        .args(["export", "kube"])
        .output()
        .unwrap();
    let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the output holds your OpenAI credential, from the host's OPENAI_API_KEY"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(key) && !stdout.contains(key),
        "the key printed as it is"
    );
    for variable in ["OPENAI_API_KEY", "CODEX_API_KEY"] {
        assert!(
            stdout.contains(&format!(
                "name: {variable}\n      value: bot-bottle-placeholder-"
            )),
            "{variable}"
        );
    }
    assert!(
        stdout.contains("\"credential_headers\""),
        "the holder's header for OpenAI"
    );
}
