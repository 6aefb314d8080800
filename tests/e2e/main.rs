//! End-to-end tests of `bot-bottle start`/`stop` on a real engine (`BOT_BOTTLE_ENGINE`), with
//! the offline testbed images (`contrib/testbed/build-images.sh`). Without an engine or images
//! they skip loudly, unless `BOT_BOTTLE_E2E=required`, when they fail.

mod claude;
mod daily;
mod egress;
mod gitgate;
mod gitmeta;
mod isolation;
mod keys;
mod kinds;
mod kube;
mod lifecycle;
mod limits;
mod policy;
mod record;
mod support;
mod trust;
mod walkthrough;
