//! Authorization exactly as the nucleus applies a recipe's `accessControl`: per IPC service,
//! any policy whose operations and resources both match allows the call.

use serde_json::Value;

/// IPC service id for local pub/sub.
pub const PUBSUB: &str = "aws.greengrass.ipc.pubsub";
/// IPC service id for IoT Core MQTT.
pub const MQTT_PROXY: &str = "aws.greengrass.ipc.mqttproxy";
/// IPC service id for secrets.
pub const SECRET_MANAGER: &str = "aws.greengrass.SecretManager";

/// The parsed `accessControl` of one component.
#[derive(Debug, Clone, Default)]
pub struct AccessControl {
    policies: Vec<Policy>,
}

#[derive(Debug, Clone)]
struct Policy {
    service: String,
    operations: Vec<String>,
    resources: Vec<String>,
}

impl AccessControl {
    /// Reads `{service: {policyId: {operations, resources}}}`; malformed entries are skipped
    /// with a warning, as a deny.
    pub fn from_config(access_control: &Value) -> Self {
        let mut policies = Vec::new();
        let Some(services) = access_control.as_object() else {
            return Self::default();
        };
        for (service, by_id) in services {
            for (policy_id, policy) in by_id.as_object().into_iter().flatten() {
                let list = |key: &str| -> Vec<String> {
                    policy
                        .get(key)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let (operations, resources) = (list("operations"), list("resources"));
                if operations.is_empty() || resources.is_empty() {
                    tracing::warn!(service = %service, policy = %policy_id, "Access control policy lacks operations or resources; it allows nothing.");
                }
                policies.push(Policy {
                    service: service.clone(),
                    operations,
                    resources,
                });
            }
        }
        Self { policies }
    }

    /// True when some policy of `service` allows `operation` (full id, e.g.
    /// `aws.greengrass#PublishToTopic`) on `resource`.
    pub fn allows(&self, service: &str, operation: &str, resource: &str) -> bool {
        self.policies.iter().any(|p| {
            p.service == service
                && p.operations.iter().any(|o| o == "*" || o == operation)
                && p.resources.iter().any(|r| resource_matches(r, resource))
        })
    }
}

/// The nucleus's resource matching: `*` matches any run of characters (since 2.6.0), MQTT
/// wildcards in a policy cover matching topics, and `${*}`, `${?}`, `${$}` escape literals.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" || pattern == resource {
        return true;
    }
    if (pattern.contains('+') || pattern.contains('#'))
        && let Ok(filter) = edge_model::TopicFilter::new(pattern)
        && filter.matches(resource)
    {
        return true;
    }
    glob(&tokens(pattern), resource.as_bytes())
}

#[derive(Debug, PartialEq)]
enum Token {
    Star,
    Literal(u8),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = pattern.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if let Some(after) = rest.strip_prefix(b"${*}") {
            out.push(Token::Literal(b'*'));
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"${?}") {
            out.push(Token::Literal(b'?'));
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"${$}") {
            out.push(Token::Literal(b'$'));
            out.push(Token::Literal(b'{'));
            rest = after;
        } else {
            out.push(if first == b'*' {
                Token::Star
            } else {
                Token::Literal(first)
            });
            rest = tail;
        }
    }
    out
}

fn glob(pattern: &[Token], text: &[u8]) -> bool {
    // Classic two-pointer wildcard match with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Literal(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|t| *t == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn acl() -> AccessControl {
        AccessControl::from_config(&json!({
            PUBSUB: {
                "p1": {"operations": ["aws.greengrass#PublishToTopic"], "resources": ["factory/raw/*"]},
                "p2": {"operations": ["*"], "resources": ["factory/cmd/+/set", "exact/topic"]}
            },
            MQTT_PROXY: {
                "m1": {"operations": ["aws.greengrass#PublishToIoTCore"], "resources": ["dt/factory/#"]}
            }
        }))
    }

    #[test]
    fn star_in_a_resource_matches_any_substring() {
        assert!(acl().allows(PUBSUB, "aws.greengrass#PublishToTopic", "factory/raw/pump1"));
        assert!(acl().allows(PUBSUB, "aws.greengrass#PublishToTopic", "factory/raw/a/b"));
        assert!(!acl().allows(PUBSUB, "aws.greengrass#PublishToTopic", "factory/agg/pump1"));
    }

    #[test]
    fn operation_must_be_listed_or_star() {
        assert!(!acl().allows(
            PUBSUB,
            "aws.greengrass#SubscribeToTopic",
            "factory/raw/pump1"
        ));
        assert!(acl().allows(PUBSUB, "aws.greengrass#SubscribeToTopic", "exact/topic"));
    }

    #[test]
    fn mqtt_wildcards_in_a_policy_cover_matching_topics() {
        assert!(acl().allows(
            PUBSUB,
            "aws.greengrass#PublishToTopic",
            "factory/cmd/pump1/set"
        ));
        assert!(acl().allows(
            MQTT_PROXY,
            "aws.greengrass#PublishToIoTCore",
            "dt/factory/line1/x"
        ));
        assert!(!acl().allows(MQTT_PROXY, "aws.greengrass#PublishToIoTCore", "other/x"));
    }

    #[test]
    fn policies_of_another_service_do_not_apply() {
        assert!(!acl().allows(MQTT_PROXY, "aws.greengrass#PublishToIoTCore", "exact/topic"));
        assert!(!AccessControl::default().allows(PUBSUB, "*", "x"));
    }

    #[test]
    fn escaped_star_matches_only_a_literal_star() {
        assert!(resource_matches("a/${*}", "a/*"));
        assert!(!resource_matches("a/${*}", "a/b"));
        assert!(resource_matches("a*c", "abbbc"));
        assert!(!resource_matches("a*c", "abbbd"));
    }
}
