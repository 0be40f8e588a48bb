//! Validated identifiers: each one can stand as a single topic level.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest identifier, in bytes. Keeps every topic built from one well under the topic limit.
pub const MAX_ID_BYTES: usize = 128;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// The identifier is empty.
    #[error("{what} is empty")]
    Empty {
        /// What the identifier names, such as `"device id"`.
        what: &'static str,
    },
    /// The identifier is longer than [`MAX_ID_BYTES`].
    #[error("{what} is {len} bytes long, the limit is {MAX_ID_BYTES}")]
    TooLong {
        /// What the identifier names.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The identifier holds `/`, `+`, `#` or a control character.
    #[error("{what} {id:?} contains {found:?}, which cannot appear in a topic level")]
    ForbiddenChar {
        /// What the identifier names.
        what: &'static str,
        /// The refused identifier.
        id: String,
        /// The first forbidden character.
        found: char,
    },
}

/// Checks that `id` can be a single topic level.
fn check_level(id: &str, what: &'static str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { what });
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong {
            what,
            len: id.len(),
        });
    }
    if let Some(found) = id
        .chars()
        .find(|c| matches!(c, '/' | '+' | '#') || c.is_control())
    {
        return Err(IdError::ForbiddenChar {
            what,
            id: id.to_owned(),
            found,
        });
    }
    Ok(())
}

/// Defines a string newtype that is checked by [`check_level`] on every way in.
macro_rules! level_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks `id` and wraps it as a ", $what, ".")]
            ///
            /// # Errors
            ///
            /// [`IdError`] if `id` is empty, longer than [`MAX_ID_BYTES`], or holds `/`, `+`, `#`
            /// or a control character.
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                check_level(&id, $what)?;
                Ok(Self(id))
            }

            #[doc = concat!("The ", $what, " as a string slice.")]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(id: &str) -> Result<Self, IdError> {
                Self::new(id)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(id: String) -> Result<Self, IdError> {
                Self::new(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

level_id!(
    /// The id of a field device (a PLC, a meter, an OPC UA server), as named in an adapter's
    /// configuration. One topic level: non-empty, at most [`MAX_ID_BYTES`], without `/`, `+`,
    /// `#` or control characters.
    DeviceId,
    "device id"
);

level_id!(
    /// The Greengrass name of a component, such as `com.example.ModbusAdapter`. Same rules as
    /// [`DeviceId`].
    ComponentName,
    "component name"
);

level_id!(
    /// The id of the gateway, its Greengrass core thing name. Same rules as [`DeviceId`].
    GatewayId,
    "gateway id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for id in [
            "press-1",
            "plc_07",
            "com.example.ModbusAdapter",
            "line 3:mixer",
            "$x",
        ] {
            assert_eq!(DeviceId::new(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn refuses_characters_that_would_split_or_widen_a_topic() {
        for (id, found) in [
            ("a/b", '/'),
            ("a+", '+'),
            ("#", '#'),
            ("a\0", '\0'),
            ("a\nb", '\n'),
        ] {
            assert_eq!(
                DeviceId::new(id),
                Err(IdError::ForbiddenChar {
                    what: "device id",
                    id: id.to_owned(),
                    found,
                })
            );
        }
    }

    #[test]
    fn refuses_empty_and_overlong_ids() {
        assert_eq!(
            ComponentName::new(""),
            Err(IdError::Empty {
                what: "component name"
            })
        );
        assert!(GatewayId::new("g".repeat(MAX_ID_BYTES)).is_ok());
        assert_eq!(
            GatewayId::new("g".repeat(MAX_ID_BYTES + 1)),
            Err(IdError::TooLong {
                what: "gateway id",
                len: MAX_ID_BYTES + 1
            })
        );
    }

    #[test]
    fn deserializing_checks_the_id() {
        let id: DeviceId = serde_json::from_str("\"press-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"press-1\"");
        assert!(serde_json::from_str::<DeviceId>("\"a/b\"").is_err());
    }
}
