//! Enumerations stored by an English code and shown by a Chinese label.

/// A closed set of values, each with a stable English code (stored in the database) and a
/// Chinese label (shown to users), plus the other spellings found in real rosters.
pub trait Labeled: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;
    fn synonyms(self) -> &'static [&'static str];

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }

    /// Accepts the label, a synonym or the code, ignoring white space and width.
    fn parse_label(input: &str) -> Option<Self> {
        let s = crate::text::compact(input);
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.label() == s || v.code().eq_ignore_ascii_case(&s) || v.synonyms().contains(&s.as_str()))
    }

    /// "党委、党工委、…" — the allowed labels, for error messages.
    fn allowed_labels() -> String {
        Self::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join("、")
    }
}

/// Declares a `Labeled` enum: `Variant => ("code", "标签", ["别名", …])`.
#[macro_export]
macro_rules! labeled_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident => ($code:literal, $label:literal, [$($syn:literal),* $(,)?])),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($variant),+ }

        impl $crate::labels::Labeled for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            fn synonyms(self) -> &'static [&'static str] { match self { $($name::$variant => &[$($syn),*]),+ } }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::labels::Labeled::label(*self))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::labels::Labeled::code(*self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                <$name as $crate::labels::Labeled>::from_code(&s)
                    .ok_or_else(|| ::serde::de::Error::custom(format!("unknown {} code: {s}", stringify!($name))))
            }
        }
    };
}
