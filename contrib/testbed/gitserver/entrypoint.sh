#!/bin/sh
# Seeds one repository per transport with a commit on main, starts sshd, then serves HTTPS.
set -eu
seed() { # DIR OWNER
  [ -d "$1" ] && return
  tmp=$(mktemp -d)
  git init -q -b main "$tmp"
  echo "seeded by the testbed git server" > "$tmp/README"
  git -C "$tmp" add README
  git -C "$tmp" -c user.name=testbed -c user.email=testbed@bottle.test commit -qm "initial commit"
  git init -q --bare -b main "$1"
  git -C "$tmp" push -q "$1" main
  rm -rf "$tmp"
  chown -R "$2" "$1"
}
seed /srv/git/ssh/app.git git:git
seed /srv/git/https/web.git root:root
mkdir -p /run/sshd
/usr/sbin/sshd -e -f /opt/gitserver/sshd_config
echo '{"listening":"ssh","port":22}'
exec node /opt/gitserver/https.js
