-- R8 across revoke and re-invite: the last email to an address, by any invitation.
CREATE INDEX invitations_org_email ON invitations (org_id, email, last_sent_at);
