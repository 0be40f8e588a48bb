//! The environment of a lifecycle process.
//!
//! The nucleus starts components with a clean environment plus its own variables; a developer's
//! shell holds AWS keys and other noise that would make a component work locally and fail on
//! the device. So only a few variables are inherited.

use std::collections::BTreeMap;

/// Inherited from gg-local's own environment.
const INHERITED: [&str; 4] = ["PATH", "HOME", "LANG", "RUST_LOG"];
/// When gg-local itself runs without PATH, `sh` still needs one.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The variables every step of a component gets: inherited, then `base`, then the per-component
/// hook's. Later layers win.
pub(crate) fn component_env(
    base: &BTreeMap<String, String>,
    per_component: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = INHERITED
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), std::env::var(name).ok()?)))
        .collect();
    env.entry("PATH".to_owned())
        .or_insert_with(|| FALLBACK_PATH.to_owned());
    env.extend(base.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.extend(per_component);
    env
}

/// One step's environment: the component's, with the recipe's `Setenv` on top.
pub(crate) fn step_env(
    component: &BTreeMap<String, String>,
    setenv: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = component.clone();
    env.extend(setenv.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn later_layers_override_earlier_ones() {
        let component = component_env(
            &map(&[("AWS_REGION", "eu-west-1"), ("SVCUID", "base")]),
            map(&[("SVCUID", "token")]),
        );
        assert_eq!(component["SVCUID"], "token");
        assert_eq!(component["AWS_REGION"], "eu-west-1");
        assert!(component.contains_key("PATH"));
        let step = step_env(&component, &map(&[("AWS_REGION", "us-east-1")]));
        assert_eq!(step["AWS_REGION"], "us-east-1");
    }

    #[test]
    fn only_the_allowed_variables_are_inherited() {
        let env = component_env(&BTreeMap::new(), BTreeMap::new());
        assert!(
            env.keys().all(|k| INHERITED.contains(&k.as_str())),
            "{env:?}"
        );
    }
}
