//! The key holder sidecar: created on both networks, its config, server certificate and the
//! user's credential copied in as one tar stream between create and start (as the gate's are),
//! then started. The credential is read here, at launch, from the login store or the host
//! variable the plan names: it is in no plan, no argument vector and no environment.

use anyhow::{bail, Context as _};
use bot_bottle_gate::keys::{Credential, OAuthCredential, Secret};
use engine::{ContainerSpec, Engine, NetworkAttachment, Owner, Tarball};

use crate::bottle::teardown::{Guard, Resource};
use crate::ca::BottleCa;
use crate::login::{self, Kind};
use crate::plan::keys::{
    CredentialSource, KeyHolderPlan, CERT_PATH, CONFIG_PATH, CREDENTIAL_PATH, DIR, KEY_PATH,
    UNPRIVILEGED_PORT_SYSCTL,
};
use crate::timing;

/// Where the image keeps the holder's binary (the git gate's).
const BINARY: &str = super::gate::GATE_BINARY;

/// The holder's container spec.
pub fn spec(holder: &KeyHolderPlan) -> ContainerSpec {
    let (sysctl, value) = UNPRIVILEGED_PORT_SYSCTL;
    ContainerSpec {
        // It listens on its internal address only; the egress network reaches the real hosts.
        networks: vec![
            NetworkAttachment::at(&holder.networks[0], &holder.address),
            NetworkAttachment::new(&holder.networks[1]),
        ],
        labels: holder.labels.clone(),
        entrypoint: Some(vec![BINARY.to_owned()]),
        cmd: holder.command.clone(),
        sysctls: vec![(sysctl.to_owned(), value.to_owned())],
        cap_drop: holder.privileges.cap_drop.clone(),
        security_opts: holder.privileges.security_opts.clone(),
        read_only: holder.privileges.read_only_root,
        mounts: super::sidecar::own_mounts(&holder.volumes, &holder.resources),
        limits: holder.resources.limits(),
        ..ContainerSpec::new(&holder.container, &holder.image)
    }
}

/// The credential the plan's source names, read now.
pub fn credential(source: &CredentialSource) -> anyhow::Result<Credential> {
    match source {
        CredentialSource::Login { name, path, .. } => login::read_at(path, name)?
            .with_context(|| format!("the login {name} ({path}) is gone since the plan was made")),
        CredentialSource::HostVariable { name, kind } => {
            let Ok(value) = std::env::var(name.as_str()) else {
                bail!("{name} is not set on the host any more, or is not UTF-8");
            };
            let value = Secret::new(value);
            if value.expose().trim().is_empty() {
                bail!("{name} is empty on the host");
            }
            Ok(match kind {
                Kind::ApiKey => Credential::ApiKey(value),
                Kind::Oauth => Credential::OAuth(OAuthCredential {
                    access_token: value,
                    refresh_token: None,
                    expires_at: None,
                    scopes: vec!["user:inference".to_owned()],
                    subscription_type: None,
                }),
            })
        }
    }
}

/// The tar stream of the holder's files, to be unpacked in its directory ([`DIR`], a volume of
/// its own): its config, the server certificate the bottle CA signed for its hosts and that
/// certificate's key (0600), and the credential (0600), which it may rewrite after a refresh.
/// All root's.
pub fn files(holder: &KeyHolderPlan, ca: &BottleCa) -> anyhow::Result<Vec<u8>> {
    let rel = |p: &str| {
        p.strip_prefix(DIR)
            .unwrap_or(p)
            .trim_start_matches('/')
            .to_owned()
    };
    let cert = ca
        .issue_server_cert(&holder.hosts)
        .context("signing the key holder's certificate")?;
    let credential = credential(&holder.credential)?;
    let credential = zeroize::Zeroizing::new(
        serde_json::to_vec(&credential).context("encoding the credential")?,
    );
    let mut tar = Tarball::new();
    tar.file(
        &rel(CONFIG_PATH),
        holder.render_config().as_bytes(),
        0o644,
        Owner::ROOT,
    )?;
    tar.file(
        &rel(CERT_PATH),
        cert.cert_pem().as_bytes(),
        0o644,
        Owner::ROOT,
    )?;
    tar.file(
        &rel(KEY_PATH),
        cert.key_pkcs8_pem().as_bytes(),
        0o600,
        Owner::ROOT,
    )?;
    tar.file(&rel(CREDENTIAL_PATH), &credential, 0o600, Owner::ROOT)?;
    tar.finish()
}

/// Creates the holder (recorded in `guard` first), copies its files in and starts it.
pub fn start(
    engine: &dyn Engine,
    holder: &KeyHolderPlan,
    ca: &BottleCa,
    guard: &Guard,
) -> anyhow::Result<()> {
    let name = &holder.container;
    let resource = Resource::Container(name.clone());
    guard.adopt(resource.clone());
    timing::step("key holder: create", || {
        engine
            .create_container(&spec(holder))
            .with_context(|| format!("creating the key holder {name}"))
    })?;
    guard.created(&resource);
    let files = files(holder, ca)?;
    super::sidecar::fill_and_start(
        engine,
        name,
        DIR,
        &files,
        [
            "key holder",
            "the key holder's config and the Anthropic credential",
        ],
    )
}

/// Why the holder is not serving, when it stopped: its exit code and log. `None` while it runs.
pub fn failure(engine: &dyn Engine, name: &str) -> anyhow::Result<Option<String>> {
    super::sidecar::stopped(engine, name, "the key holder")
}

/// What the launch record keeps of `holder`.
pub fn record(holder: &KeyHolderPlan) -> crate::bottle::record::KeyHolderRecord {
    crate::bottle::record::KeyHolderRecord {
        container: holder.container.clone(),
        refreshable_login: match &holder.credential {
            CredentialSource::Login {
                name,
                path,
                refreshable: true,
                ..
            } => Some(login::refreshed::RefreshableLogin {
                name: name.clone(),
                path: path.clone(),
                path_in_holder: CREDENTIAL_PATH.to_owned(),
            }),
            _ => None,
        },
    }
}

/// Before the bottle goes: keeps a refresh its holder made of the stored login (see
/// [`login::refreshed`]), telling the user; a failure is told, not fatal (the login on the host
/// is then the one from before, and may need `bot-bottle login` again).
pub fn keep_refreshed_login(engine: &dyn Engine, plan: &crate::plan::Plan) {
    let Some(holder) = &plan.key_holder else {
        return;
    };
    if let Some(login) = record(holder).refreshable_login {
        login::refreshed::keep_and_tell(engine, &holder.container, &login);
    }
}
