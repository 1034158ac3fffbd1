//! Sign-in sessions (`POST /api/v2/signin|signout`, the `influxdb-oss-session` cookie). A session's permissions
//! are recomputed from the store on every request, so deleting a token or deactivating the user takes effect
//! in every session at once.

use std::net::IpAddr;
use std::sync::Arc;

use model::{AuditAction, AuditActor, AuditEntry, CredentialKind, Session, Token};

use crate::authorizations::generate_token;
use crate::caller::{Credential, session_permissions};
use crate::{AuthenticationError, Caller, Service, ServiceError, passwords};

impl Service {
    /// Checks the user's password and opens a session; returns the session key (for the cookie) and how long it
    /// lasts. A wrong name or password is 401 `unauthorized access`, as InfluxDB answers. The session and the
    /// `signin` audit entry are written together; a refused sign-in is recorded for the next audit flush.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sign_in(
        &self,
        username: String,
        password: String,
        remote: Option<IpAddr>,
    ) -> Result<(Token, time::Duration), AuthenticationError> {
        let user = self.blocking(move |store| store.user_by_name(&username)).await?;
        // An unknown user, or one without a password, is checked against a dummy hash all the same, so the answer
        // takes as long as a wrong password's: timing does not tell which user names exist.
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let matches = tokio::task::spawn_blocking(move || match stored {
            Some(stored) => passwords::verify(&password, &stored),
            None => {
                passwords::verify_dummy(&password);
                false
            }
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("password task failed: {e}")))?;
        let Some(user) = user.as_ref().filter(|_| matches) else {
            tracing::info!("sign-in refused: unknown user or wrong password");
            let reason = if user.is_some() {
                "wrong password"
            } else {
                "unknown user"
            };
            self.audit_failed_sign_in(user.as_ref(), reason, remote);
            return Err(AuthenticationError::UnknownToken);
        };
        if user.status != model::Status::Active {
            self.audit_failed_sign_in(Some(user), "user is inactive", remote);
            return Err(AuthenticationError::InactiveUser);
        }
        let key = generate_token()?;
        let now = self.now();
        let length = self.options().session_length;
        let session = Session {
            user_id: user.id,
            created_at: now,
            expires_at: now + length,
        };
        let hash = key.hash();
        let actor = AuditActor {
            user_id: Some(user.id),
            user: Some(user.name.clone()),
            credential: CredentialKind::Password,
            authorization_id: None,
        };
        let audit = AuditEntry::success(now, AuditAction::SignIn, actor, None, remote);
        self.blocking(move |store| store.create_session(&hash, &session, Some(&audit)))
            .await?;
        Ok((key, length))
    }

    /// A sign-in without (readable) Basic credentials: 401 `unauthorized access`, recorded as a failed sign-in.
    pub fn sign_in_without_credentials(&self, remote: Option<IpAddr>) -> AuthenticationError {
        self.audit_failed_sign_in(None, "no credentials", remote);
        AuthenticationError::UnknownToken
    }

    /// Ends a session (with a `signout` audit entry naming its user); unknown keys are fine and leave no entry.
    pub async fn sign_out(&self, key: Token, remote: Option<IpAddr>) -> Result<(), ServiceError> {
        let hash = key.hash();
        let now = self.now();
        self.blocking(move |store| {
            let Some(session) = store.session(&hash)? else {
                return Ok::<_, store::StoreError>(());
            };
            let actor = AuditActor {
                user_id: Some(session.user_id),
                user: store.user(session.user_id)?.map(|u| u.name),
                credential: CredentialKind::Session,
                authorization_id: None,
            };
            let audit = AuditEntry::success(now, AuditAction::SignOut, actor, None, remote);
            store.delete_session(&hash, Some(&audit))?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The caller behind a session cookie, with the user's permissions as they are now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate_session(&self, key: &Token) -> Result<Caller, AuthenticationError> {
        let hash = key.hash();
        let now = self.now();
        let found = self
            .blocking(move |store| -> Result<_, store::StoreError> {
                let Some(session) = store.session(&hash)? else {
                    return Ok(None);
                };
                if session.expires_at <= now {
                    store.delete_session(&hash, None)?;
                    return Ok(None);
                }
                let Some(user) = store.user(session.user_id)? else {
                    return Ok(Some(None));
                };
                let orgs = store.orgs_of(user.id)?;
                let tokens = store.authorizations(store::AuthorizationFilter {
                    user_id: Some(user.id),
                    org_id: None,
                })?;
                Ok(Some(Some((user, orgs, tokens))))
            })
            .await?;
        match found {
            None => Err(AuthenticationError::UnknownToken),
            Some(None) => Err(AuthenticationError::UnknownToken),
            Some(Some((user, _, _))) if user.status != model::Status::Active => Err(AuthenticationError::InactiveUser),
            Some(Some((user, orgs, tokens))) => {
                let permissions = session_permissions(&user, &orgs, &tokens, now);
                Ok(Caller {
                    user: Arc::new(user),
                    credential: Credential::Session { permissions },
                    remote: None,
                })
            }
        }
    }
}
