//! Dynamic SQL with every value bound. A statement's text depends only on its
//! shape (which filters, which sort), never on the values in it, so each shape
//! is prepared once per connection and reused, and no value is ever pasted
//! into SQL. sqlx's `QueryBuilder` writes `?` under `Any`, which Postgres
//! refuses; `Sql` writes `$n`, which both drivers accept.
//!
//! Also here: the enum columns, decoded strictly. A value this build does not
//! know is a decode error naming it, never a guess.

use super::{batch::Value, sso::SsoPurpose};
use crate::domain::{
    history,
    rules::{InvitationStatus, LinkKind, LinkState},
    sso::SignInMethod,
    Role, UserStatus,
};
use sqlx::{
    any::{AnyArguments, AnyRow, AnyTypeInfo, AnyValueRef},
    error::BoxDynError,
    query::{Map, Query},
    Any, Decode, FromRow, Type,
};

/// SQL text and the values its `$n` placeholders stand for.
#[derive(Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds `value` and returns its placeholder, to write where it belongs
    /// (or in several places).
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Binds `value` and writes its placeholder.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        let placeholder = self.bind(value);
        self.push(&placeholder)
    }

    /// Binds each value and writes their placeholders, comma-separated: the
    /// inside of `IN (...)`.
    pub fn push_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.values
            .iter()
            .fold(sqlx::query(&self.text), |query, value| match value {
                Value::Text(text) => query.bind(text.as_str()),
                Value::Int(int) => query.bind(*int),
                Value::NullText => query.bind(None::<&str>),
                Value::NullInt => query.bind(None::<i64>),
            })
    }

    /// The query, its rows read as `T` (`#[derive(sqlx::FromRow)]`).
    #[allow(clippy::type_complexity)]
    pub fn query_as<T>(
        &self,
    ) -> Map<'_, Any, impl FnMut(AnyRow) -> Result<T, sqlx::Error> + Send, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        self.query().try_map(|row: AnyRow| T::from_row(&row))
    }
}

/// Text columns holding an enum: read as the enum or fail loudly.
macro_rules! text_enum_column {
    ($ty:ty, $what:literal, $parse:expr) => {
        impl Type<Any> for $ty {
            fn type_info() -> AnyTypeInfo {
                <str as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <str as Type<Any>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Any> for $ty {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Any>>::decode(value)?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text).ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), text).into())
            }
        }
    };
}

text_enum_column!(UserStatus, "user status", UserStatus::from_db);
text_enum_column!(Role, "role", Role::from_db);
text_enum_column!(LinkKind, "link kind", |text| match text {
    "email" => Some(LinkKind::Email),
    "copied" => Some(LinkKind::Copied),
    _ => None,
});
text_enum_column!(LinkState, "link state", |text| match text {
    "active" => Some(LinkState::Active),
    "superseded" => Some(LinkState::Superseded),
    "used" => Some(LinkState::Used),
    "locked" => Some(LinkState::Locked),
    _ => None,
});
text_enum_column!(InvitationStatus, "invitation status", |text| match text {
    "pending" => Some(InvitationStatus::Pending),
    "accepted" => Some(InvitationStatus::Accepted),
    "revoked" => Some(InvitationStatus::Revoked),
    _ => None,
});
text_enum_column!(
    history::InvitationStatus,
    "invitation status",
    |text| match text {
        "pending" => Some(history::InvitationStatus::Pending),
        "accepted" => Some(history::InvitationStatus::Accepted),
        "revoked" => Some(history::InvitationStatus::Revoked),
        _ => None,
    }
);
text_enum_column!(SignInMethod, "sign-in method", SignInMethod::from_db);
text_enum_column!(SsoPurpose, "SSO request purpose", SsoPurpose::from_db);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let mut sql = Sql::new("SELECT id FROM users WHERE org_id = ");
        sql.push_bind("org").push(" AND status IN (");
        sql.push_list(["invited", "active"]).push(")");
        let now = sql.bind(5_i64);
        sql.push(&format!(" AND a <= {now} AND b > {now}"));
        assert_eq!(
            sql.text(),
            "SELECT id FROM users WHERE org_id = $1 AND status IN ($2, $3) AND a <= $4 AND b > $4"
        );
        assert_eq!(sql.values.len(), 4);
    }
}
