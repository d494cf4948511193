//! The "…" menu of a user row: `Actions for {email}` (SPEC §5).

use crate::api::users::{
    copy_invite_link, deactivate_user, reactivate_user, resend_invite, revoke_invite,
};
use crate::domain::{invitations::UserListRow, UserStatus};
use crate::ui::{browser, notices::Notices};
use leptos::{ev, html, prelude::*, task::spawn_local};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Details,
    Resend,
    Copy,
    Revoke,
    Deactivate,
    Reactivate,
}

impl Item {
    fn label(self) -> &'static str {
        match self {
            Item::Details => "View details",
            Item::Resend => "Resend Invite",
            Item::Copy => "Copy Invite Link",
            Item::Revoke => "Revoke Invite",
            Item::Deactivate => "Deactivate",
            Item::Reactivate => "Reactivate",
        }
    }
}

/// Items offered for a row. The server checks again (R1): this only spares
/// managers buttons that would be refused.
fn items_for(status: UserStatus, org_manager: bool) -> Vec<Item> {
    let mut items = vec![Item::Details];
    if status == UserStatus::Invited {
        items.extend([Item::Resend, Item::Copy]);
        if org_manager {
            items.push(Item::Revoke);
        }
    }
    if org_manager {
        items.push(if status == UserStatus::Deactivated {
            Item::Reactivate
        } else {
            Item::Deactivate
        });
    }
    items
}

/// The id of a row's "…" button, so focus can come back to it.
pub fn trigger_id(user_id: &str) -> String {
    format!("actions-{user_id}")
}

#[component]
pub fn RowMenu(
    row: UserListRow,
    org_manager: bool,
    #[prop(into)] on_change: Callback<()>,
    /// Opens the detail panel for this user.
    #[prop(into)]
    on_details: Callback<String>,
) -> impl IntoView {
    let items = items_for(row.status, org_manager);
    let open = RwSignal::new(false);
    let first_item = NodeRef::<html::Button>::new();
    let trigger = NodeRef::<html::Button>::new();
    let notices = Notices::get();
    let label = format!("Actions for {}", row.email);
    let menu_id = format!("menu-{}", row.id);

    Effect::new(move || {
        if open.get() {
            if let Some(button) = first_item.get() {
                let _ = button.focus();
            }
        }
    });
    let close = move || {
        open.set(false);
        if let Some(button) = trigger.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_key = move |event: ev::KeyboardEvent| match event.key().as_str() {
        "Escape" => close(),
        "ArrowDown" => {
            event.prevent_default();
            browser::focus_sibling(true)
        }
        "ArrowUp" => {
            event.prevent_default();
            browser::focus_sibling(false)
        }
        _ => {}
    };

    let run = move |item: Item, user_id: String, email: String| {
        open.set(false);
        if item == Item::Details {
            on_details.run(user_id);
            return;
        }
        spawn_local(async move {
            let outcome = match item {
                Item::Details => return,
                Item::Resend => resend_invite(user_id)
                    .await
                    .map(|sent| format!("Invitation sent to {}", sent.email)),
                Item::Copy => match copy_invite_link(user_id).await {
                    Ok(link) => {
                        if browser::write_clipboard(&link.url).await {
                            Ok("Invite link copied to clipboard".to_string())
                        } else {
                            notices.show_manual_copy(link.url);
                            Ok(format!("New invitation link made for {email}"))
                        }
                    }
                    Err(e) => Err(e),
                },
                Item::Revoke => revoke_invite(user_id)
                    .await
                    .map(|_| format!("Invitation for {email} revoked")),
                Item::Deactivate => deactivate_user(user_id)
                    .await
                    .map(|_| format!("{email} deactivated")),
                Item::Reactivate => reactivate_user(user_id)
                    .await
                    .map(|_| format!("{email} reactivated")),
            };
            match outcome {
                Ok(message) => notices.ok(message),
                Err(error) => notices.error(&error),
            }
            on_change.run(());
        });
    };

    let (user_id, email) = (row.id.clone(), row.email.clone());
    let buttons = move || {
        items
            .iter()
            .enumerate()
            .map(|(i, &item)| {
                let (id, email) = (user_id.clone(), email.clone());
                let node = if i == 0 { first_item } else { NodeRef::new() };
                view! {
                    <button type="button" role="menuitem" node_ref=node class:danger=matches!(item, Item::Revoke | Item::Deactivate)
                        on:click=move |_| run(item, id.clone(), email.clone())>
                        {item.label()}
                    </button>
                }
            })
            .collect_view()
    };

    view! {
        <div class="row-menu" on:keydown=on_key>
            <button type="button" class="dots" id=trigger_id(&row.id) node_ref=trigger aria-label=label.clone() aria-haspopup="menu"
                aria-controls=menu_id.clone() aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                "…"
            </button>
            // Made when opened: fifty closed menus were half of the page's
            // HTML and of the time to render it.
            {move || open.get().then(|| view! {
                <div role="menu" id=menu_id.clone() aria-label=label.clone() class="menu-panel right">
                    {buttons()}
                </div>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r7_r9_invite_actions_only_on_invited_rows() {
        use Item::*;
        assert_eq!(items_for(UserStatus::Active, false), vec![Details]);
        assert_eq!(
            items_for(UserStatus::Invited, false),
            vec![Details, Resend, Copy]
        );
        assert_eq!(
            items_for(UserStatus::Invited, true),
            vec![Details, Resend, Copy, Revoke, Deactivate]
        );
        assert_eq!(
            items_for(UserStatus::Deactivated, true),
            vec![Details, Reactivate]
        );
    }
}
