"""Cost per 1M invitations on AWS list prices, from the measured tables in bench/out/
(`capacity.md`, `warm-moto.md`, `coldstart.md`, written by bench/run.sh):
`python3 bench/cost_model.py [bench/out]`.

What is measured comes from those tables: DynamoDB read and write units and SES emails per
operation, and the functions' warm durations and init times. What is assumed is below, in one
place, so it can be changed: how many addresses an invite carries, how invitees answer, how often
administrators look at the list, how many starts are cold. Prices: us-east-1, November 2026 list
prices, on demand, no free tier.
"""

import math
import re
import sys
from pathlib import Path

# List prices (USD).
LAMBDA_GB_SECOND_ARM64 = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_MEMORY_GB = 256 / 1024  # the templates' MemorySize
HTTP_API_REQUEST = 1.00 / 1_000_000  # first 300 million a month
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000  # on-demand write request unit
DYNAMODB_READ_UNIT = 0.125 / 1_000_000  # on-demand read request unit
SES_EMAIL = 0.10 / 1_000
EVENTBRIDGE_EVENT = 1.00 / 1_000_000  # custom events, PutEvents

# Assumptions (per invitation unless said otherwise).
INVITATIONS = 1_000_000
ADDRESSES_PER_INVITE = 10  # one invite request carries ten addresses
ACCEPTED, DECLINED, UNANSWERED = 0.60, 0.10, 0.30  # how invitees answer
REMINDERS_PER_UNANSWERED = 2  # the default schedule: 7 days and 1 day before expiry
RESENT = 0.05  # share resent once by an administrator
LIST_VIEWS_PER_INVITE = 1  # the console reloads the Invited tab after each invite
COLD_SHARE = 0.01  # one start in a hundred is cold (init is billed for custom runtimes)
EVENTS_PER_PUBLISH = 2  # audit events per `publish` invocation (stream batches)


def table(path):
    """The rows of the first Markdown table in `path`, as lists of cells."""
    rows = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]


def capacity(out):
    """operation -> (read units, write units, emails)"""
    measured = {}
    for operation, calls, read, write in table(out / "capacity.md"):
        emails = sum(int(n) for n in re.findall(r"(\d+) SESv2 SendEmail", calls))
        measured[operation] = (float(read), float(write), emails)
    return measured


def warm_p50(out):
    """request (its start) -> p50 ms"""
    return {request: float(p50) for _, request, p50, _, _ in table(out / "warm-moto.md")}


def init_p50(out):
    """function -> init p50 ms (to the first poll)"""
    return {row[0]: float(row[1].split("/")[0]) for row in table(out / "coldstart.md")}


def find(measured, prefix):
    matches = [value for key, value in measured.items() if key.startswith(prefix)]
    if not matches:
        sys.exit(f"no measured row starts with {prefix!r}")
    return matches[0]


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out")
    units = capacity(out)
    p50 = warm_p50(out)
    init = init_p50(out)

    # Per invite request: a fixed part and a part per address, from the 1- and 3-address rows.
    r1, w1, _ = find(units, "invite 1 address")
    r3, w3, _ = find(units, "invite 3 addresses")
    per_address_w, per_address_r = (w3 - w1) / 2, (r3 - r1) / 2
    fixed_w, fixed_r = w1 - per_address_w, r1 - per_address_r
    invites = INVITATIONS / ADDRESSES_PER_INVITE
    reminders = INVITATIONS * UNANSWERED * REMINDERS_PER_UNANSWERED
    sweep_r, sweep_w, _ = find(units, "reminder sweep (2 due)")
    expiry_r, expiry_w, _ = find(units, "expiry sweep (2 expired)")

    # (what, HTTP requests, Lambda function duration ms, invocations, read units, write units,
    #  emails, audit events)
    lines = []

    def http(what, count, request, reads, writes, emails=0, events=0):
        lines.append((what, count, find(p50, request), count, reads, writes, emails, events))

    http(
        f"invite ({ADDRESSES_PER_INVITE} addresses a request)",
        invites,
        "POST /workgroups/{wg}/invitations",
        invites * (fixed_r + ADDRESSES_PER_INVITE * per_address_r),
        invites * (fixed_w + ADDRESSES_PER_INVITE * per_address_w),
        emails=INVITATIONS,
        events=2 * INVITATIONS,  # invited, and the email's delivery
    )
    views = invites * LIST_VIEWS_PER_INVITE
    r, w, _ = find(units, "list a page of invitations")
    http("list the Invited tab", views, "GET /workgroups/{wg}/invitations", views * r, views * w)
    answered = INVITATIONS * (ACCEPTED + DECLINED)
    r, w, _ = find(units, "look an invitation up")
    http("look the link up (accept page)", answered, "POST /invitations/lookup", answered * r, answered * w)
    accepted = INVITATIONS * ACCEPTED
    r, w, _ = find(units, "accept")
    http("accept", accepted, "POST /invitations/accept", accepted * r, accepted * w, events=accepted)
    declined = INVITATIONS * DECLINED
    r, w, _ = find(units, "decline")
    http("decline", declined, "POST /invitations/decline", declined * r, declined * w, events=declined)
    resent = INVITATIONS * RESENT
    r, w, e = find(units, "resend")
    http(
        "resend",
        resent,
        "POST /workgroups/{wg}/invitations/{id}/resend",
        resent * r,
        resent * w,
        emails=resent * e,
        events=2 * resent,
    )
    # The sweeps: their per-tick queries are a fixed monthly cost (below); per invitation they
    # cost each reminder's and each expiry's write.
    lines.append(
        ("reminders (sweep writes and emails)", 0, 0, 0, 0, reminders * sweep_w / 2, reminders, reminders)
    )
    expired = INVITATIONS * UNANSWERED
    lines.append(("expiries recorded", 0, 0, 0, 0, expired * expiry_w / 2, 0, expired))
    events = sum(line[7] for line in lines)
    publishes = events / EVENTS_PER_PUBLISH
    lines.append(("publish the audit trail", 0, 5.0, publishes, 0, 0, 0, 0))

    cold = sum(line[3] for line in lines) * COLD_SHARE
    cold_ms = find(init, "invite")

    lambda_cost = 0.0
    print(f"Per {INVITATIONS:,} invitations (assumptions in bench/cost_model.py):\n")
    print("| step | HTTP requests | Lambda invocations | warm duration (ms, measured p50) | DynamoDB read units | write units | emails | audit events |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for what, requests, ms, invocations, reads, writes, emails, events_ in lines:
        billed = math.ceil(ms)  # Lambda bills by the millisecond, rounded up
        lambda_cost += invocations * (LAMBDA_REQUEST + billed / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64)
        print(
            f"| {what} | {requests:,.0f} | {invocations:,.0f} | {ms:.2f} | {reads:,.0f} | {writes:,.0f} | {emails:,.0f} | {events_:,.0f} |"
        )
    lambda_cost += cold * math.ceil(cold_ms) / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64
    requests = sum(line[1] for line in lines)
    reads = sum(line[4] for line in lines)
    writes = sum(line[5] for line in lines)
    emails = sum(line[6] for line in lines)
    costs = [
        ("Lambda (arm64, 256 MB: requests and billed ms; cold inits at "
         f"{COLD_SHARE:.0%} of {cold_ms:.0f} ms)", lambda_cost),
        ("API Gateway HTTP API", requests * HTTP_API_REQUEST),
        ("DynamoDB on demand: reads", reads * DYNAMODB_READ_UNIT),
        ("DynamoDB on demand: writes", writes * DYNAMODB_WRITE_UNIT),
        ("SES", emails * SES_EMAIL),
        ("EventBridge (audit events)", events * EVENTBRIDGE_EVENT),
    ]
    total = sum(cost for _, cost in costs)
    print("\n| service | USD per 1M invitations | share |")
    print("| --- | --- | --- |")
    for what, cost in costs:
        print(f"| {what} | {cost:,.2f} | {cost / total:.0%} |")
    print(f"| **total** | **{total:,.2f}** | |")

    # Fixed, whatever the traffic: the two schedules' queries and invocations each month.
    ticks = 30 * 24 * 6 + 30  # every 10 minutes (retries, expiries) and daily (reminders)
    fixed = ticks * (
        LAMBDA_REQUEST
        + math.ceil(find(p50, "one GetItem") * 16) / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64
        + (sweep_r + expiry_r) / 2 * DYNAMODB_READ_UNIT
    )
    print(f"\nFixed each month (about {ticks:,} schedule ticks, each some 16 queries): {fixed:,.2f} USD")


main()
