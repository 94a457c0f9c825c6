//! The small closed vocabularies of the store, stored as text so that the
//! database stays readable with any SQLite tool.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// Declares a text-backed enum with `as_str`, `FromStr` and SQLite conversions.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// The stored (and command-line) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e: String| FromSqlError::Other(e.into()))
            }
        }
    };
}

text_enum!(
    /// What an annotator may do in a project.
    Role { Annotator => "annotator", Reviewer => "reviewer", Admin => "admin" }
);

text_enum!(
    /// What a task template asks for, and what an annotation holds.
    AnnotationKind { Contour => "contour", Label => "label", Keypoint => "keypoint", Measurement => "measurement" }
);

text_enum!(
    /// Who made an annotation.
    Source { Human => "human", Model => "model", PseudoLabel => "pseudo_label", Consensus => "consensus" }
);

text_enum!(
    /// Where an annotation is in review.
    AnnotationStatus { Draft => "draft", Submitted => "submitted", Accepted => "accepted", Rejected => "rejected" }
);

text_enum!(
    /// The two key frames of a cardiac cycle.
    KeyFrameKind {
        /// End-diastole: the largest left-ventricular cavity.
        EndDiastole => "ED",
        /// End-systole: the smallest left-ventricular cavity.
        EndSystole => "ES",
    }
);

text_enum!(
    /// Who set a key frame.
    SetBy { Human => "human", Model => "model" }
);
