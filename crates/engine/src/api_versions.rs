//! Manifests written for API versions their cluster does not serve.
//!
//! `extensions/v1beta1` Ingresses and `policy/v1beta1` PodDisruptionBudgets
//! linger in charts long after the release that stopped serving them: the
//! manifest passes every control, then the cluster refuses it at upgrade
//! time. The other way round, a chart written for a newer cluster uses an
//! API version an older one does not serve yet. Ward warns of each
//! manifest object whose `apiVersion` of its kind the release the
//! manifests are for (`--kube-version`, by default the newest Ward knows)
//! does not serve, naming the releases that do and the API version that
//! release serves the kind at (`ward.input.unserved_api`), from the
//! releases each API version was served by ([`crate::input::schema`], read
//! from the official client of every release from 1.9). There is no fix:
//! another API version often changes the object's fields too (an
//! Ingress's backend), which the warning's remedy says. Objects read back
//! from a cluster are not checked: the API server wrote them at a version
//! it serves.

use crate::finding::{Finding, NoticeAt, notice_finding};
use crate::input::schema::{Release, Schema};
use crate::input::{Inputs, Resource};
use rayon::prelude::*;
use ward_lang::hir::Severity;

/// The control id of the warning on an API version the cluster does not
/// serve.
pub const CONTROL: &str = "ward.input.unserved_api";

/// The warnings for every manifest of the inputs at an API version the
/// Kubernetes release `at` (by default the newest Ward knows) does not
/// serve, no longer or not yet.
pub fn notices(inputs: &Inputs, at: Option<Release>) -> Vec<Finding> {
    // A cluster export is mostly objects read back, each of whose metadata
    // is looked at: on all cores, and reported in load order.
    inputs
        .resources
        .par_iter()
        .filter_map(|r| notice(inputs, r, at))
        .collect()
}

/// The warning on one manifest object, if the release does not serve its
/// API version.
fn notice(inputs: &Inputs, r: &Resource, at: Option<Release>) -> Option<Finding> {
    let schema = Schema::get();
    if r.from_cluster() {
        return None;
    }
    let (version, kind) = (r.api_version(), r.kind());
    let gone = schema.unserved(version, kind, at)?;
    let instead = match gone.instead {
        Some(v) => format!("; Kubernetes {} serves {kind} as `{v}`", gone.at),
        None => format!("; Kubernetes {} has no {kind} at all", gone.at),
    };
    let message = if gone.first > gone.at {
        format!(
            "`{version}` {kind} is served from Kubernetes {} on, so a {} cluster refuses this object{instead}",
            gone.first, gone.at
        )
    } else {
        format!(
            "`{version}` {kind} is not served after Kubernetes {}, so a cluster of a later release refuses this object{instead}",
            gone.last
        )
    };
    let node = r.root().get_str("apiVersion").unwrap_or_else(|| r.root());
    let at = NoticeAt::node(inputs, r, node);
    Some(notice_finding(
        CONTROL,
        Severity::Medium,
        message,
        at,
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LoadOptions;

    fn found(text: &str) -> Vec<(u32, String)> {
        let mut inputs = Inputs::default();
        inputs.add_text("chart.yaml", text, &LoadOptions::default());
        notices(&inputs, None)
            .into_iter()
            .map(|f| (f.line, f.message.to_string()))
            .collect()
    }

    #[test]
    fn an_object_at_a_removed_api_version_is_named_with_what_replaces_it() {
        let found = found(
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: old\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: new\n",
        );
        assert_eq!(
            found,
            vec![
                (
                    1,
                    "`extensions/v1beta1` Ingress is not served after Kubernetes 1.21, so a cluster of a later release refuses this object; Kubernetes 1.37 serves Ingress as `networking.k8s.io/v1`".to_string()
                ),
                (
                    6,
                    "`policy/v1beta1` PodSecurityPolicy is not served after Kubernetes 1.24, so a cluster of a later release refuses this object; Kubernetes 1.37 has no PodSecurityPolicy at all".to_string()
                ),
            ]
        );
    }

    #[test]
    fn at_a_chosen_release_only_what_it_no_longer_serves_is_named() {
        let mut inputs = Inputs::default();
        inputs.add_text(
            "chart.yaml",
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n",
            &LoadOptions::default(),
        );
        let at = |v| {
            notices(&inputs, Release::parse(v))
                .into_iter()
                .map(|f| f.message.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at("1.24"),
            [
                "`extensions/v1beta1` Ingress is not served after Kubernetes 1.21, so a cluster of a later release refuses this object; Kubernetes 1.24 serves Ingress as `networking.k8s.io/v1`"
            ]
        );
        assert_eq!(at("1.25").len(), 2);
        assert!(at("1.21").is_empty());
        // And a version too new for the cluster.
        let mut inputs = Inputs::default();
        inputs.add_text(
            "chart.yaml",
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\n",
            &LoadOptions::default(),
        );
        let found: Vec<String> = notices(&inputs, Release::parse("1.20"))
            .into_iter()
            .map(|f| f.message.to_string())
            .collect();
        assert_eq!(
            found,
            [
                "`batch/v1` CronJob is served from Kubernetes 1.21 on, so a 1.20 cluster refuses this object; Kubernetes 1.20 serves CronJob as `batch/v1beta1`"
            ]
        );
    }

    #[test]
    fn objects_from_a_cluster_and_kinds_the_api_never_had_are_not_named() {
        assert_eq!(
            found(
                "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: live\n  resourceVersion: \"12\"\n---\napiVersion: cert.example/v1beta1\nkind: Certificate\nmetadata:\n  name: c\n"
            ),
            Vec::new()
        );
    }
}
