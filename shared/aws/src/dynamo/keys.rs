//! Every key and index value the store writes or looks up, and the page positions it hands out:
//! the one place that knows how they are spelled.

use chrono::NaiveDate;
use domain::{
    address::EmailAddress,
    clock::Timestamp,
    ids::{InvitationId, WorkgroupId},
    people::Workgroup,
    secret::TokenHash,
    store::StoreError,
};

/// The sort key of a workgroup item.
pub const WORKGROUP: &str = "WORKGROUP";
/// The sort key of a person item.
pub const PERSON: &str = "PERSON";
/// The sort keys of a workgroup's memberships start with it.
pub const AGENT_PREFIX: &str = "AGENT#";
/// The `by_send` sort keys start with it.
pub const SENT_PREFIX: &str = "SENT#";

/// Sorts below every character a workgroup name may hold (names have no control characters),
/// so a name sorts before its extensions ("Acme" before "Acme IT") as it does on its own.
const NAME_END: char = '\u{1}';

/// The partition of a workgroup: the workgroup, its memberships and its invitations.
pub fn workgroup(id: &WorkgroupId) -> String {
    format!("WG#{id}")
}

/// The partition of a person's item, and of their memberships in `by_person`.
pub fn person(email: &EmailAddress) -> String {
    format!("PERSON#{email}")
}

pub fn agent(email: &EmailAddress) -> String {
    format!("{AGENT_PREFIX}{email}")
}

/// The sort key of a membership in `by_person`: the workgroup's name, then its id.
pub fn by_name(workgroup: &Workgroup) -> String {
    format!("{}{NAME_END}{}", workgroup.name, workgroup.id)
}

/// The sort key of an invitation: one per address and workgroup. Also its `by_invitee`
/// partition while pending: the address's invitations in every workgroup.
pub fn invitee(email: &EmailAddress) -> String {
    format!("INVITEE#{email}")
}

pub fn invitation(id: &InvitationId) -> String {
    format!("INVITATION#{id}")
}

pub fn token(hash: &TokenHash) -> String {
    format!("TOKEN#{}", hash.as_str())
}

/// The `by_send` sort key: newest first when read backwards, ties broken by id.
pub fn sent(sent_at: Timestamp, id: &InvitationId) -> String {
    format!("{SENT_PREFIX}{}#{id}", second(sent_at))
}

/// The `by_expiry_day` partition holding the invitations that expire on `day`.
pub fn expiry_day(day: NaiveDate) -> String {
    format!("EXPIRES#{}", day.format("%Y-%m-%d"))
}

/// The one `by_retry` partition: few items, only emails awaiting another attempt.
pub const RETRY: &str = "RETRY";

/// The `by_retry` sort key: the second the next attempt is due, then the id.
pub fn retry(at: Timestamp, id: &InvitationId) -> String {
    format!("{}#{id}", second(at))
}

/// The `by_expiry_day` sort key: the second of the expiry, then the id.
pub fn expiry(expires_at: Timestamp, id: &InvitationId) -> String {
    format!("{}#{id}", second(expires_at))
}

/// Where the page after one of an invitee's invitations starts: its `by_invitee` sort key and
/// its workgroup, which are (with the address) the start key of the next query.
pub fn invitee_position(sent_at: Timestamp, id: &InvitationId, workgroup: &WorkgroupId) -> String {
    format!("{}|{workgroup}", sent(sent_at, id))
}

/// The `by_invitee` sort key and the workgroup of a position [`invitee_position`] wrote.
pub fn parse_invitee_position(position: &str) -> Result<(String, WorkgroupId), StoreError> {
    let bad = || bad_position(position);
    let (sort, workgroup) = position.split_once('|').ok_or_else(bad)?;
    let workgroup = WorkgroupId::parse(workgroup).filter(|_| is_sent_key(sort));
    Ok((sort.to_owned(), workgroup.ok_or_else(bad)?))
}

/// Whether `sort` is a `SENT#<second>#<id>` key as [`sent`] writes it.
fn is_sent_key(sort: &str) -> bool {
    sort.strip_prefix(SENT_PREFIX)
        .and_then(|rest| rest.split_once('#'))
        .is_some_and(|(seconds, id)| {
            seconds.len() == 12
                && seconds.bytes().all(|b| b.is_ascii_digit())
                && InvitationId::parse(id).is_some()
        })
}

/// The smallest string that sorts after `key` (for a key condition that starts after it).
pub fn just_after(key: &str) -> String {
    format!("{key}\u{1}")
}

/// A sweep's page position: a `<second>#<id>` sort key this store wrote.
pub fn parse_second_position(position: &str) -> Result<String, StoreError> {
    let well_formed = position.split_once('#').is_some_and(|(second, id)| {
        second.len() == 12
            && second.bytes().all(|b| b.is_ascii_digit())
            && InvitationId::parse(id).is_some()
    });
    if !well_formed {
        return Err(bad_position(position));
    }
    Ok(position.to_owned())
}

/// The UTC day of a sort key that starts with a padded second.
pub fn day_of_second(key: &str) -> Result<NaiveDate, StoreError> {
    key.get(..12)
        .and_then(|second| second.parse::<i64>().ok())
        .and_then(|second| chrono::DateTime::from_timestamp(second, 0))
        .map(|at| at.date_naive())
        .ok_or_else(|| bad_position(key))
}

/// Epoch seconds, zero-padded so that strings sort as the numbers do (until the year 33658).
pub fn second(at: Timestamp) -> String {
    format!("{:012}", at.timestamp().max(0))
}

/// Where the page after an agent starts: their address.
pub fn agent_position(email: &EmailAddress) -> String {
    email.to_string()
}

pub fn parse_agent_position(position: &str) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(position)
        .ok()
        .filter(|email| email.as_str() == position)
        .ok_or_else(|| bad_position(position))
}

/// Where the page after an invitation starts: its `by_send` sort key and its address, which
/// are (with the workgroup) the start key of the next query.
pub fn invitation_position(sent_at: Timestamp, id: &InvitationId, email: &EmailAddress) -> String {
    format!("{}|{email}", sent(sent_at, id))
}

/// The `by_send` sort key and the address of a position [`invitation_position`] wrote.
pub fn parse_invitation_position(position: &str) -> Result<(String, EmailAddress), StoreError> {
    let bad = || bad_position(position);
    // The sort key holds no `|`; a quoted address may.
    let (sort, email) = position.split_once('|').ok_or_else(bad)?;
    if !is_sent_key(sort) {
        return Err(bad());
    }
    Ok((
        sort.to_owned(),
        parse_agent_position(email).map_err(|_| bad())?,
    ))
}

fn bad_position(position: &str) -> StoreError {
    StoreError::backend(
        "failed to read a page position",
        BadPosition(position.chars().take(80).collect()),
    )
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a page position this store wrote")]
struct BadPosition(String);

/// An idempotency key's item: its own partition, keyed by the key's digest.
pub fn idempotency(digest: &str) -> String {
    format!("KEY#{digest}")
}

/// The sort key of an idempotency key's item.
pub const IDEMPOTENCY: &str = "KEY";

/// A daily counter's item: one per counter (kind and owner) and UTC day.
pub fn quota(key: &domain::quota::QuotaKey) -> String {
    format!("QUOTA#{}#{}", key.counter(), key.day_text())
}

/// The sort key of a quota's item.
pub const QUOTA: &str = "QUOTA";

/// The partition of a workgroup's audit trail: apart from the workgroup's own partition, so
/// events never count towards the item collection its local index limits to 10 GB.
pub fn events(workgroup: &WorkgroupId) -> String {
    format!("{EVENTS_PREFIX}{workgroup}")
}

/// The partitions of audit trails start with it: the stream filter of the templates' publish
/// function selects new items by it.
pub const EVENTS_PREFIX: &str = "EVENTS#";

/// The sort keys of events start with it.
pub const EVENT_PREFIX: &str = "EVENT#";

/// The sort key of an event: its second, then its id, so a backwards query is newest first.
pub fn event(at: Timestamp, id: &domain::audit::EventId) -> String {
    format!("{EVENT_PREFIX}{}#{}", second(at), id.as_str())
}

/// Where the page after an event starts: its sort key, checked to be one.
pub fn parse_event_position(position: &str) -> Result<String, StoreError> {
    let well_formed = position
        .strip_prefix(EVENT_PREFIX)
        .and_then(|rest| rest.split_once('#'))
        .is_some_and(|(second, id)| {
            second.len() == 12
                && second.bytes().all(|b| b.is_ascii_digit())
                && id.len() == 36
                && id.starts_with("evt_")
        });
    if !well_formed {
        return Err(bad_position(position));
    }
    Ok(position.to_owned())
}

/// The item counting a workgroup's pending invitations, for its cap.
pub fn pending(workgroup: &WorkgroupId) -> String {
    format!("PENDING#{workgroup}")
}

/// The item counting the emails handed to SES in one epoch second.
pub fn send_slot(second: i64) -> String {
    format!("RATE#{second}")
}

/// The sort key of a send slot's item.
pub const SEND_SLOT: &str = "RATE";

/// The sort key of a pending count's item.
pub const PENDING: &str = "PENDING";

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::{locale::Locale, people::WorkgroupName};

    use super::*;

    fn email(text: &str) -> EmailAddress {
        EmailAddress::parse(text).unwrap()
    }

    #[test]
    fn an_invitation_position_reads_back_as_its_sort_key_and_address() {
        let at = Utc.with_ymd_and_hms(2031, 3, 3, 9, 0, 0).unwrap();
        let id = InvitationId::generate();
        let quoted = email(r#""a|b c"@example.com"#);
        let position = invitation_position(at, &id, &quoted);
        assert_eq!(
            parse_invitation_position(&position).unwrap(),
            (sent(at, &id), quoted)
        );
    }

    #[test]
    fn an_invitee_position_reads_back_as_its_sort_key_and_workgroup() {
        let at = Utc.with_ymd_and_hms(2031, 3, 3, 9, 0, 0).unwrap();
        let (id, workgroup) = (InvitationId::generate(), WorkgroupId::generate());
        let position = invitee_position(at, &id, &workgroup);
        assert_eq!(
            parse_invitee_position(&position).unwrap(),
            (sent(at, &id), workgroup)
        );
        for bad in ["", "SENT#1|wg", &format!("SENT#000000000001#{id}|nope")] {
            assert!(parse_invitee_position(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn positions_this_store_did_not_write_are_refused() {
        let id = InvitationId::generate();
        for position in [
            "",
            "ann@example.com",
            "SENT#1|ann@example.com",
            &format!("SENT#000000000001#{id}"),
            &format!("SENT#00000000000x#{id}|ann@example.com"),
            "SENT#000000000001#inv_nothex|ann@example.com",
            &format!("WG#000000000001#{id}|ann@example.com"),
            &format!("SENT#000000000001#{id}|not an address"),
            &format!("SENT#000000000001#{id}|ANN@example.com"),
        ] {
            assert!(
                matches!(
                    parse_invitation_position(position),
                    Err(StoreError::Backend { .. })
                ),
                "{position:?} was accepted"
            );
        }
        assert!(parse_agent_position("Ann@Example.com").is_err());
        assert!(parse_agent_position(" ann@example.com").is_err());
    }

    #[test]
    fn a_workgroup_name_sorts_before_its_extensions_and_seconds_sort_as_numbers() {
        let named = |name: &str| Workgroup {
            id: WorkgroupId::generate(),
            name: WorkgroupName::parse(name).unwrap(),
            locale: Locale::En,
        };
        assert!(by_name(&named("Acme")) < by_name(&named("Acme IT")));
        assert!(by_name(&named("Acme")) < by_name(&named("Acme!")));
        let early = Utc.with_ymd_and_hms(2001, 9, 9, 1, 46, 39).unwrap();
        let late = Utc.with_ymd_and_hms(2001, 9, 9, 1, 46, 40).unwrap();
        assert!(second(early) < second(late), "999999999 < 1000000000");
    }
}
