//! Dense identifiers of the model's entities: indexes into the world's vectors, never strings.
//!
//! An id is only ever created by the world when it appends the entity, so every id in circulation
//! indexes a live slot (entities are never removed, only marked INACTIVE or STOPPED).

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The index of this id in its world vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// A cluster.
    ClusterId
);
dense_id!(
    /// A container instance.
    InstanceId
);
dense_id!(
    /// A task.
    TaskId
);
dense_id!(
    /// One revision of a task definition.
    TaskDefId
);
dense_id!(
    /// A service.
    ServiceId
);
dense_id!(
    /// An Availability Zone named at registration, numbered by the world in order of first
    /// sight: per-zone counts compare numbers, not zone names.
    ZoneId
);

/// A 32-hex-digit id (a task's or a container's: the last part of its ARN), held inline: 32
/// bytes and no allocation, where a `String` takes 24 and a 48-byte heap block. Reads as the
/// `str` of its digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexId([u8; 32]);

impl HexId {
    /// The id of these 32 lowercase hex digits (`digits` holds nothing else).
    pub(crate) fn from_digits(digits: [u8; 32]) -> HexId {
        debug_assert!(digits.iter().all(is_lower_hex));
        HexId(digits)
    }

    /// The id written as `text`, when it is 32 lowercase hex digits.
    pub fn parse(text: &str) -> Option<HexId> {
        let digits: [u8; 32] = text.as_bytes().try_into().ok()?;
        digits.iter().all(is_lower_hex).then_some(HexId(digits))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

/// Whether `d` is a digit of a `HexId`: 0-9 or a-f.
fn is_lower_hex(d: &u8) -> bool {
    d.is_ascii_digit() || (b'a'..=b'f').contains(d)
}

impl std::ops::Deref for HexId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for HexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for HexId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::HexId;

    #[test]
    fn hex_ids_parse_only_32_lowercase_hex_digits_and_read_back() {
        let text = "0123456789abcdef0123456789abcdef";
        let id = HexId::parse(text).expect("valid");
        assert_eq!(id.as_str(), text);
        assert_eq!(format!("{id}"), text);
        assert_eq!(&id[..4], "0123");
        for bad in [
            &text[1..],
            "0123456789ABCDEF0123456789abcdef",
            "g123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(HexId::parse(bad), None, "{bad}");
        }
    }
}
