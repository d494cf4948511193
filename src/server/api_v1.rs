//! `/api/v1`: the JSON API for scripts and HR systems (Step 10). Each
//! request presents an API token (`Authorization: Bearer roster_…`) and acts
//! as an Org Manager of the token's organisation, through the same services
//! and rules as the screens. Errors are `{"error": {"code", "message"}}` with
//! the screens' messages (a cooldown adds `until`, in Unix milliseconds).

use super::{error_response::api_error_response, now_ms, state::AppState};
use crate::domain::spreadsheet::csv_field;
use crate::domain::{
    history::UserHistory,
    invitations::{
        BulkInviteReport, CopiedLink, InviteRequest, Invited, PageAnchor, SentInvite, UserListRow,
    },
    AppError, SessionUser,
};
use crate::ui::users::url::{query_from_search, search_param};
use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};

/// Most users one page of the list answers.
const MOST_PER_PAGE: u32 = 200;

/// The OpenAPI document, from the handlers' annotations and the types they
/// answer: served at `/api/v1/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Roster API", version = "1", description = "Invite people and follow their invitations. Authenticate with an API token from Platform Settings › API tokens."),
    servers((url = "/api/v1")),
    paths(list_users, get_user, invite, bulk_invite, resend, copy_link, revoke, deactivate, reactivate),
    modifiers(&BearerToken)
)]
struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// A refusal: `{"error": {"code", "message", "until"?}}`.
#[derive(Serialize, utoipa::ToSchema)]
struct ErrorAnswer {
    error: ErrorBody,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ErrorBody {
    /// Stable: unauthenticated, forbidden, not_found, invalid, cooldown, …
    code: String,
    /// The screens' words.
    message: String,
    /// A cooldown's end (Unix milliseconds).
    until: Option<i64>,
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(ApiDoc::openapi())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/users", get(list_users))
        .route("/users/{id}", get(get_user))
        .route("/users/{id}/resend", post(resend))
        .route("/users/{id}/link", post(copy_link))
        .route("/users/{id}/revoke", post(revoke))
        .route("/users/{id}/deactivate", post(deactivate))
        .route("/users/{id}/reactivate", post(reactivate))
        .route("/invitations", post(invite))
        .route("/invitations/bulk", post(bulk_invite))
}

/// An API answer: the value as JSON, or the error in the API's shape.
struct Answer(Result<Response, AppError>);

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(response) => response,
            Err(error) => api_error_response(&error, None),
        }
    }
}

fn ok<T: Serialize>(status: StatusCode, value: T) -> Result<Response, AppError> {
    Ok((status, Json(value)).into_response())
}

/// The token's actor, or `Unauthenticated` (no header, not a Bearer token,
/// unknown, revoked or expired). Session cookies are not looked at.
async fn actor(state: &AppState, headers: &HeaderMap) -> Result<SessionUser, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthenticated)?;
    state.engine.api_actor(bearer.trim(), now_ms()).await
}

#[derive(Serialize, utoipa::ToSchema)]
struct UserList {
    users: Vec<UserListRow>,
    /// Users matching, across all pages.
    total: i64,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/users", security(("token" = [])),
    params(
        ("status" = Option<String>, Query, description = "invited, active, deactivated; commas for several"),
        ("q" = Option<String>, Query, description = "part of a name or an email"),
        ("view" = Option<String>, Query, description = "expired or expiring (invitation links)"),
        ("sort" = Option<String>, Query, description = "name, email, status, last_sent, expires"),
        ("desc" = Option<String>, Query, description = "1 for descending"),
        ("limit" = Option<u32>, Query, description = "users per page, 1 to 200 (50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the page before"),
    ),
    responses((status = 200, body = UserList), (status = 401, body = ErrorAnswer), (status = 422, body = ErrorAnswer)))]
/// The table's filters as query parameters (`status=invited,active`, `q`,
/// `view=expired|expiring`, `sort`, `desc=1`), `limit` (up to 200) and the
/// `cursor` of the page before.
async fn list_users(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        let raw = raw.unwrap_or_default();
        let mut query = query_from_search(&raw, None);
        query.per_page = match search_param(&raw, "limit") {
            None => 50,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MOST_PER_PAGE).contains(n))
                .ok_or_else(|| {
                    AppError::invalid(format!("limit is a number from 1 to {MOST_PER_PAGE}."))
                })?,
        };
        (query.page, query.anchor) = match search_param(&raw, "cursor") {
            None => (1, None),
            Some(cursor) => parse_cursor(&cursor)
                .ok_or_else(|| AppError::invalid("cursor is not one this API gave."))?,
        };
        let page = state.engine.list_users(&actor, query, now_ms()).await?;
        let shown = i64::from(page.page - 1) * i64::from(page.per_page) + page.rows.len() as i64;
        let next_cursor = (shown < page.total)
            .then(|| {
                page.rows
                    .last()
                    .map(|row| format!("{}.{}", page.page + 1, row.id))
            })
            .flatten();
        ok(
            StatusCode::OK,
            UserList {
                users: page.rows,
                total: page.total,
                next_cursor,
            },
        )
    })
    .await
}

/// `{page}.{id of the last user of the page before}`.
fn parse_cursor(cursor: &str) -> Option<(u32, Option<PageAnchor>)> {
    let (page, after) = cursor.split_once('.')?;
    let page: u32 = page.parse().ok().filter(|p| *p > 1)?;
    (!after.is_empty()).then(|| (page, Some(PageAnchor::After(after.to_string()))))
}

#[utoipa::path(get, path = "/users/{id}", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = UserHistory), (status = 403, body = ErrorAnswer), (status = 404, body = ErrorAnswer)))]
/// The user with their invitations and links, every email with its delivery
/// attempts, and the audit entries (R21).
async fn get_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        ok(
            StatusCode::OK,
            state.engine.user_history(&actor, &id, now_ms()).await?,
        )
    })
    .await
}

#[utoipa::path(post, path = "/invitations", security(("token" = [])), request_body = InviteRequest,
    responses((status = 201, body = Invited), (status = 409, body = ErrorAnswer), (status = 422, body = ErrorAnswer)))]
async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<InviteRequest>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        let Json(request) = body.map_err(|rejection| {
            AppError::invalid(format!(
                "The body must be JSON: {{\"email\": \"…\", \"name\": \"…\", \"team_ids\": []}} ({})",
                rejection.body_text()
            ))
        })?;
        ok(StatusCode::CREATED, state.engine.invite(&actor, request, now_ms()).await?)
    })
    .await
}

/// One person of a JSON bulk invite.
#[derive(Deserialize, utoipa::ToSchema)]
struct BulkPerson {
    email: String,
    #[serde(default)]
    name: String,
    /// A team's name, as in the CSV's third column.
    #[serde(default)]
    team: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BulkRequest {
    rows: Vec<BulkPerson>,
    /// Every row also goes into this team (by id).
    #[serde(default)]
    team_id: Option<String>,
}

#[utoipa::path(post, path = "/invitations/bulk", security(("token" = [])),
    request_body(content((BulkRequest = "application/json"), (String = "text/csv"))),
    params(("team_id" = Option<String>, Query, description = "with CSV: a team every row joins")),
    responses((status = 200, body = BulkInviteReport), (status = 422, body = ErrorAnswer)))]
/// R4 over the API: CSV (`Content-Type: text/csv`, the screen's columns
/// email, name, team; `?team_id=` for a team every row joins) or JSON
/// (`{"rows": [{"email", "name", "team"}], "team_id"}`). The answer has
/// each row's outcome, as the screen's results do.
async fn bulk_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: String,
) -> Answer {
    let state = &state;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("text/plain"));
    as_token(state, &headers, |actor| async move {
        let (csv, team_id) = if is_csv {
            let team_id = search_param(&raw.unwrap_or_default(), "team_id");
            (body, team_id)
        } else {
            let request: BulkRequest = serde_json::from_str(&body).map_err(|e| {
                AppError::invalid(format!(
                    "The body must be CSV (Content-Type: text/csv) or JSON: {{\"rows\": [{{\"email\": \"…\", \"name\": \"…\", \"team\": \"…\"}}]}} ({e})"
                ))
            })?;
            let lines: Vec<String> = request
                .rows
                .iter()
                .map(|p| [&p.email, &p.name, &p.team].map(|f| csv_field(f)).join(","))
                .collect();
            (lines.join("\n"), request.team_id)
        };
        let report = state
            .engine
            .bulk_invite(&actor, &csv, team_id.as_deref(), now_ms())
            .await?;
        ok(StatusCode::OK, report)
    })
    .await
}

#[utoipa::path(post, path = "/users/{id}/resend", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SentInvite), (status = 409, body = ErrorAnswer, description = "cooldown: with until")))]
async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        ok(
            StatusCode::OK,
            state.engine.resend(&actor, &id, now_ms()).await?,
        )
    })
    .await
}

#[utoipa::path(post, path = "/users/{id}/link", security(("token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CopiedLink), (status = 409, body = ErrorAnswer)))]
/// R9: a new link (the emailed one stops working); the URL is in the answer.
async fn copy_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        ok(
            StatusCode::OK,
            state.engine.copy_link(&actor, &id, now_ms()).await?,
        )
    })
    .await
}

#[utoipa::path(post, path = "/users/{id}/revoke", security(("token" = [])), params(("id" = String, Path)),
    description = "Revoke Invite (R23)", responses((status = 204), (status = 403, body = ErrorAnswer), (status = 409, body = ErrorAnswer)))]
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        no_content(state.engine.revoke(&actor, &id, now_ms()).await)
    })
    .await
}

#[utoipa::path(post, path = "/users/{id}/deactivate", security(("token" = [])), params(("id" = String, Path)),
    description = "Deactivate (R18)", responses((status = 204), (status = 403, body = ErrorAnswer), (status = 409, body = ErrorAnswer)))]
async fn deactivate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        no_content(state.engine.deactivate(&actor, &id, now_ms()).await)
    })
    .await
}

#[utoipa::path(post, path = "/users/{id}/reactivate", security(("token" = [])), params(("id" = String, Path)),
    description = "Reactivate", responses((status = 204), (status = 403, body = ErrorAnswer), (status = 409, body = ErrorAnswer)))]
async fn reactivate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let state = &state;
    as_token(state, &headers, |actor| async move {
        no_content(state.engine.reactivate(&actor, &id, now_ms()).await)
    })
    .await
}

/// Runs `work` as the request's token, within the token's allowance
/// (`ROSTER_API_RATE_LIMIT`), and answers what it returns.
async fn as_token<Work, Done>(state: &AppState, headers: &HeaderMap, work: Work) -> Answer
where
    Work: FnOnce(SessionUser) -> Done,
    Done: std::future::Future<Output = Result<Response, AppError>>,
{
    let actor = match actor(state, headers).await {
        Ok(actor) => actor,
        Err(refused) => return Answer(Err(refused)),
    };
    if let Err(wait) = state.limiters.allow_api_token(&actor.id) {
        tracing::info!(token = %actor.id, "API rate limited (token)");
        // 429 with the wait until this token's next request may pass.
        return Answer(Ok(api_error_response(&AppError::RateLimited, Some(wait))));
    }
    Answer(work(actor).await)
}

fn no_content<T>(done: Result<T, AppError>) -> Result<Response, AppError> {
    done.map(|_| StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_the_next_page_and_the_last_user_before_it() {
        assert_eq!(
            parse_cursor("2.0194-ab"),
            Some((2, Some(PageAnchor::After("0194-ab".into()))))
        );
        for bad in ["", "2", "2.", "1.x", "0.x", "x.y", "-1.x"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }
}
