//! Opaque identifiers: 128 random bits from the OS generator, with a prefix that names the kind.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::random_bytes;

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                let bytes: [u8; 16] = random_bytes();
                Self(format!("{}{:032x}", $prefix, u128::from_be_bytes(bytes)))
            }

            /// Accepts only strings this type could have generated, so a path segment can
            /// never smuggle separators or another kind of id into a storage key.
            pub fn parse(input: &str) -> Option<Self> {
                let hex = input.strip_prefix($prefix)?;
                let well_formed = hex.len() == 32
                    && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                well_formed.then(|| Self(input.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// A workgroup.
    WorkgroupId,
    "wg_"
);
opaque_id!(
    /// One invitation of one address into one workgroup.
    InvitationId,
    "inv_"
);
opaque_id!(
    /// A registered person, the same in every workgroup they join.
    AgentId,
    "agt_"
);
