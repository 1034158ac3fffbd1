//! Changing and removing users and orgs, and org membership. Removals cascade in the same transaction: an org
//! takes its buckets, members and authorizations with it; a user its memberships and authorizations. So a token
//! whose org or user is gone is gone too, and can never work again.

use model::{AuditEntry, Bucket, Id, Org, User};
use redb::{ReadableTable, WriteTransaction};

use crate::tables::*;
use store::{Conflict, Role};

use crate::{Error, RedbStore, decode, encode, get_record, owned_ids, remove_authorization};

pub(crate) fn put_member(txn: &WriteTransaction, org: Id, user: Id, role: Role) -> Result<(), Error> {
    txn.open_table(ORG_MEMBERS)?
        .insert((org.get(), user.get()), role.to_byte())?;
    txn.open_table(USER_ORGS)?
        .insert((user.get(), org.get()), role.to_byte())?;
    Ok(())
}

fn remove_member_pair(txn: &WriteTransaction, org: u64, user: u64) -> Result<(), Error> {
    txn.open_table(ORG_MEMBERS)?.remove((org, user))?;
    txn.open_table(USER_ORGS)?.remove((user, org))?;
    Ok(())
}

/// The second halves of `(first, second)` keys under `first`, with their roles.
fn pairs_with_role(table: &impl ReadableTable<(u64, u64), u8>, first: Id) -> Result<Vec<(Id, Role)>, Error> {
    let mut out = Vec::new();
    for entry in table.range((first.get(), 0)..=(first.get(), u64::MAX))? {
        let (key, role) = entry?;
        if let Some(id) = Id::new(key.value().1) {
            out.push((id, Role::from_byte(role.value())));
        }
    }
    Ok(out)
}

impl RedbStore {
    /// Applies `change` and stores the user (with `audit`), keeping the name index right. `None` when there is
    /// no such user.
    pub fn update_user(
        &self,
        id: Id,
        mut change: impl FnMut(&mut User) + Send + 'static,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<User>, Error> {
        self.write_audited(audit, move |txn| {
            let mut users = txn.open_table(USERS)?;
            let Some(mut user) = get_record::<User>(&users, id.get())? else {
                return Ok(None);
            };
            let old_name = user.name.clone();
            change(&mut user);
            if user.name != old_name {
                let mut by_name = txn.open_table(USERS_BY_NAME)?;
                if by_name.get(user.name.as_str())?.is_some() {
                    return Err(Error::Conflict(Conflict::UserName));
                }
                by_name.remove(old_name.as_str())?;
                by_name.insert(user.name.as_str(), id.get())?;
            }
            users.insert(id.get(), encode(&user).as_slice())?;
            Ok(Some(user))
        })
    }

    /// Removes the user and its memberships (with `audit`). `false` when there was none.
    pub fn delete_user(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, Error> {
        self.write_audited(audit, move |txn| {
            let removed = txn
                .open_table(USERS)?
                .remove(id.get())?
                .map(|g| decode::<User>(g.value()));
            let Some(user) = removed.transpose()? else {
                return Ok(false);
            };
            txn.open_table(USERS_BY_NAME)?.remove(user.name.as_str())?;
            let orgs = pairs_with_role(&txn.open_table(USER_ORGS)?, id)?;
            for (org, _) in orgs {
                remove_member_pair(txn, org.get(), id.get())?;
            }
            Ok(true)
        })
    }

    /// Applies `change` and stores the org (with `audit`), keeping the name index right. `None` when there is no
    /// such org.
    pub fn update_org(
        &self,
        id: Id,
        mut change: impl FnMut(&mut Org) + Send + 'static,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Org>, Error> {
        self.write_audited(audit, move |txn| {
            let mut orgs = txn.open_table(ORGS)?;
            let Some(mut org) = get_record::<Org>(&orgs, id.get())? else {
                return Ok(None);
            };
            let old_name = org.name.clone();
            change(&mut org);
            if org.name != old_name {
                let mut by_name = txn.open_table(ORGS_BY_NAME)?;
                if by_name.get(org.name.as_str())?.is_some() {
                    return Err(Error::Conflict(Conflict::OrgName));
                }
                by_name.remove(old_name.as_str())?;
                by_name.insert(org.name.as_str(), id.get())?;
            }
            orgs.insert(id.get(), encode(&org).as_slice())?;
            Ok(Some(org))
        })
    }

    /// Removes the org with its buckets, memberships and authorizations (with `audit`). `false` when there was
    /// none.
    pub fn delete_org(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, Error> {
        self.write_audited(audit, move |txn| {
            let removed = txn
                .open_table(ORGS)?
                .remove(id.get())?
                .map(|g| decode::<Org>(g.value()));
            let Some(org) = removed.transpose()? else {
                return Ok(false);
            };
            txn.open_table(ORGS_BY_NAME)?.remove(org.name.as_str())?;
            for auth in owned_ids(txn, AUTHORIZATIONS_BY_ORG, id)? {
                if let Some(auth) = Id::new(auth) {
                    remove_authorization(txn, auth)?;
                }
            }
            for bucket in owned_ids(txn, BUCKETS_BY_ORG, id)? {
                let removed = txn
                    .open_table(BUCKETS)?
                    .remove(bucket)?
                    .map(|g| decode::<Bucket>(g.value()));
                if let Some(bucket) = removed.transpose()? {
                    txn.open_table(BUCKETS_BY_ORG_NAME)?
                        .remove((id.get(), bucket.name.as_str()))?;
                }
                txn.open_table(BUCKETS_BY_ORG)?.remove((id.get(), bucket))?;
            }
            let members = pairs_with_role(&txn.open_table(ORG_MEMBERS)?, id)?;
            for (user, _) in members {
                remove_member_pair(txn, id.get(), user.get())?;
            }
            Ok(true)
        })
    }

    /// Gives `user` a role in `org` (replacing any role it had), with `audit`. Both must exist.
    pub fn add_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<(), Error> {
        self.write_audited(audit, move |txn| {
            if txn.open_table(ORGS)?.get(org.get())?.is_none() {
                return Err(Error::Conflict(Conflict::MissingOrg));
            }
            if txn.open_table(USERS)?.get(user.get())?.is_none() {
                return Err(Error::Conflict(Conflict::MissingUser));
            }
            put_member(txn, org, user, role)
        })
    }

    /// Takes `role` away from `user` in `org` (with `audit`); `false` when the user did not have that role there.
    pub fn remove_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<bool, Error> {
        self.write_audited(audit, move |txn| {
            let current = txn
                .open_table(ORG_MEMBERS)?
                .get((org.get(), user.get()))?
                .map(|g| g.value());
            if current.map(Role::from_byte) != Some(role) {
                return Ok(false);
            }
            remove_member_pair(txn, org.get(), user.get())?;
            Ok(true)
        })
    }

    /// The users of an org, with their roles, by user ID.
    pub fn members(&self, org: Id) -> Result<Vec<(Id, Role)>, Error> {
        let txn = self.read()?;
        pairs_with_role(&txn.open_table(ORG_MEMBERS)?, org)
    }

    /// The orgs a user belongs to, with the user's role in each.
    pub fn orgs_of(&self, user: Id) -> Result<Vec<(Id, Role)>, Error> {
        let txn = self.read()?;
        pairs_with_role(&txn.open_table(USER_ORGS)?, user)
    }
}
