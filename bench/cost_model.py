"""Cost per 1M invitations on AWS list prices, from the measured tables in bench/out/
(`capacity.md`, `warm-moto.md`, `coldstart.md`, written by bench/run.sh):
`python3 bench/cost_model.py [bench/out]`. Where `warm-moto.md` or `coldstart.md` is missing
(they need release builds of every function), the tables published in bench/RESULTS.md
(sections 2 and 1) are read instead, and the output says so.

Every email goes through the queue (issue 16): the use case that makes it due posts it to SQS
(`SendMessageBatch`, ten to a call), the `send` function takes batches of ten off the queue
(Lambda's event source mapping: `ReceiveMessage`, `DeleteMessageBatch`), claims, sends and
records each. Its calls per email are the capacity table's "send one ... email" rows.

What is measured comes from those tables: DynamoDB calls, read and write units and SES emails
per operation, the functions' CPU time per warm request, and init times. What is assumed is
below, in one place, so it can be changed: how many addresses an invite carries, how invitees
answer, how often administrators look at the list, how many starts are cold, and how long AWS
takes to answer a call. That last one is assumed because moto is not DynamoDB: its wall times
(hundreds of ms for a transaction) would bill Lambda for moto's slowness, so a warm invocation's
billed duration is modelled as its measured CPU time plus the AWS calls it waits on. The
Lambda line is also printed with the moto wall times, as an upper bound. Prices: us-east-1,
November 2026 list prices, on demand, no free tier.
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
SQS_REQUEST = 0.40 / 1_000_000  # standard queue, per request of up to 64 KB (a message is < 1 KB)

# Assumptions (per invitation unless said otherwise).
INVITATIONS = 1_000_000
ADDRESSES_PER_INVITE = 10  # one invite request carries ten addresses
ACCEPTED, DECLINED, UNANSWERED = 0.60, 0.10, 0.30  # how invitees answer
REMINDERS_PER_UNANSWERED = 2  # the default schedule: 7 days and 1 day before expiry
RESENT = 0.05  # share resent once by an administrator
LIST_VIEWS_PER_INVITE = 1  # the console reloads the Invited tab after each invite
COLD_SHARE = 0.01  # one start in a hundred is cold (init is billed for custom runtimes)
EVENTS_PER_PUBLISH = 2  # audit events per `publish` invocation (stream batches)
DYNAMODB_CALL_MS = 10  # an in-region DynamoDB call, waited on (round figure, not measured)
SES_CALL_MS = 50  # an SES SendEmail, waited on (round figure, not measured)
SQS_CALL_MS = 10  # an SQS SendMessageBatch, waited on (round figure, not measured)
SEND_BATCH = 10  # the event source mapping's BatchSize (infra/template.yaml)
SEND_CONCURRENCY = 2  # its MaximumConcurrency
SES_RATE = 14  # emails a second (a new production account): paces the send function
# Lambda's SQS event source mapping long-polls the queue (20 s) with at least five pollers
# whatever the traffic: requests billed even when the queue is empty (AWS's documentation;
# not measured).
ESM_POLLERS, ESM_POLL_SECONDS = 5, 20


def table(path, header=None):
    """The rows of the first Markdown table in `path` (the first whose header row starts with
    `header`, if given), as lists of cells."""
    rows, inside = [], False
    for line in Path(path).read_text().splitlines():
        if line.startswith("|"):
            if not inside:
                inside = header is None or line.startswith(header)
                rows = []
            if inside and not line.startswith("| ---"):
                rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif inside and rows:
            break
        else:
            inside = False
    return rows[1:]


PUBLISHED = Path(__file__).parent / "RESULTS.md"
WARM_HEADER = "| function | request (100 in a row, warm)"
COLD_HEADER = "| start (20 runs each)"
SOURCES = []


def measured_or_published(out, name, header):
    """bench/out/<name> if it was measured, else the table bench/RESULTS.md published."""
    if (out / name).exists():
        return table(out / name)
    SOURCES.append(f"{name} not in {out}: read from bench/RESULTS.md")
    return table(PUBLISHED, header)


def capacity(out):
    """operation -> {"reads", "writes", "emails", "calls": {"DynamoDB Query": 8, ...}}"""
    measured = {}
    for operation, calls, read, write, *_ in table(out / "capacity.md"):
        counted = {f"{service} {op}": int(n) for n, service, op in re.findall(r"(\d+) (\w+) (\w+)", calls)}
        measured[operation] = {
            "reads": float(read),
            "writes": float(write),
            "emails": counted.get("SESv2 SendEmail", 0),
            "sqs": sum(n for call, n in counted.items() if call.startswith("SQS")),
            "calls": counted,
        }
    return measured


def dynamodb_calls(measured, but=()):
    return sum(n for call, n in measured["calls"].items() if call.startswith("DynamoDB") and call not in but)


def warm(out):
    """request (its start) -> (p50 ms on moto, the function's CPU ms per request)"""
    measured = {}
    for _, request, p50, _, _, cpu in measured_or_published(out, "warm-moto.md", WARM_HEADER):
        measured[request] = (float(p50), float(cpu) if cpu not in ("", "—") else 0.0)
    return measured


def init_p50(out):
    """function -> init p50 ms (to the first poll)"""
    rows = measured_or_published(out, "coldstart.md", COLD_HEADER)
    return {row[0]: float(row[1].split("/")[0]) for row in rows}


def find(measured, prefix):
    matches = [value for key, value in measured.items() if key.startswith(prefix)]
    if not matches:
        sys.exit(f"no measured row starts with {prefix!r}")
    return matches[0]


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out")
    units = capacity(out)
    timings = warm(out)
    init = init_p50(out)

    # (what, HTTP requests, Lambda invocations, times the duration is billed, modelled ms each,
    #  moto's wall ms each, read units, write units, emails, audit events, SQS requests)
    steps = []

    def waiting_ms(dynamodb, emails, sqs=0):
        return dynamodb * DYNAMODB_CALL_MS + emails * SES_CALL_MS + sqs * SQS_CALL_MS

    def http(what, count, request, measured, events=0, cpu_scale=1, sqs=None):
        moto_ms, cpu_ms = find(timings, request)
        calls, emails = dynamodb_calls(measured), measured["emails"]
        sqs = measured["sqs"] if sqs is None else sqs
        ms = cpu_ms * cpu_scale + waiting_ms(calls, emails, sqs)
        steps.append((what, count, count, count, ms, moto_ms, count * measured["reads"],
                      count * measured["writes"], count * emails, events, count * sqs))

    # One invite request of N addresses: a fixed part and a part per address, from the 1- and
    # 3-address rows; its CPU is the one-address request's, times the addresses (measured when
    # the request still rendered and sent its email itself: an upper bound now). Its emails are
    # posted in one SendMessageBatch per ten.
    one, three = find(units, "invite 1 address"), find(units, "invite 3 addresses")

    def invite_of(n):
        part = lambda key: one[key] + (n - 1) * (three[key] - one[key]) / 2
        calls = {"DynamoDB": dynamodb_calls(one) + (n - 1) * (dynamodb_calls(three) - dynamodb_calls(one)) / 2}
        return {"reads": part("reads"), "writes": part("writes"), "emails": 0,
                "sqs": math.ceil(n / SEND_BATCH), "calls": calls}

    invites = INVITATIONS / ADDRESSES_PER_INVITE
    http(f"invite ({ADDRESSES_PER_INVITE} addresses a request)", invites,
         "POST /workgroups/{wg}/invitations", invite_of(ADDRESSES_PER_INVITE),
         events=INVITATIONS, cpu_scale=ADDRESSES_PER_INVITE)
    http("list the Invited tab", invites * LIST_VIEWS_PER_INVITE,
         "GET /workgroups/{wg}/invitations", find(units, "list a page of invitations"))
    answered = INVITATIONS * (ACCEPTED + DECLINED)
    http("look the link up (accept page)", answered, "POST /invitations/lookup",
         find(units, "look an invitation up"))
    accepted = INVITATIONS * ACCEPTED
    http("accept", accepted, "POST /invitations/accept", find(units, "accept"), events=accepted)
    declined = INVITATIONS * DECLINED
    http("decline", declined, "POST /invitations/decline", find(units, "decline"), events=declined)
    resent = INVITATIONS * RESENT
    http("resend", resent, "POST /workgroups/{wg}/invitations/{id}/resend", find(units, "resend"),
         events=resent)

    # The sweeps ride in the schedule's ticks (below, a fixed monthly cost, with their queries);
    # per invitation they cost each reminder's and each expiry's conditional write, and the
    # reminders' posts, ten to a SendMessageBatch.
    sweep = find(units, "reminder sweep (2 due)")
    expiry = find(units, "expiry sweep (2 expired)")
    reminders = INVITATIONS * UNANSWERED * REMINDERS_PER_UNANSWERED
    per_reminder = waiting_ms(dynamodb_calls(sweep, but=("DynamoDB Query",)) / 2, 0, 1 / SEND_BATCH)
    steps.append(("reminders (claims and posts, in the daily tick)", 0, 0, reminders, per_reminder,
                  per_reminder, 0, reminders * sweep["writes"] / 2, 0, reminders,
                  reminders / SEND_BATCH))
    expired = INVITATIONS * UNANSWERED
    per_expiry = waiting_ms(dynamodb_calls(expiry, but=("DynamoDB Query",)) / 2, 0)
    steps.append(("expiries recorded (in the 10-minute tick)", 0, 0, expired, per_expiry, per_expiry,
                  0, expired * expiry["writes"] / 2, 0, expired, 0))

    # Every email, whoever made it due: the send function, a batch of ten per invocation, each
    # email claimed, sent and recorded (with its delivery event). Billed: the batch's calls (its
    # ten emails at once) or, when a backlog keeps it at SES's rate, the wait for its ten send
    # slots, shared by the concurrent senders: the larger, as an upper bound.
    sender = find(units, "send one invitation email (the sender, per email)")
    emails = INVITATIONS + resent + reminders
    batches = emails / SEND_BATCH
    _, send_cpu = find(timings, "POST /workgroups/{wg}/invitations")
    batch_ms = max(SEND_BATCH * send_cpu + waiting_ms(dynamodb_calls(sender), sender["emails"]),
                   1000 * SEND_BATCH * SEND_CONCURRENCY / SES_RATE)
    steps.append((f"send every email (batches of {SEND_BATCH}, at {SES_RATE}/s)", 0, batches,
                  batches, batch_ms, batch_ms, emails * sender["reads"], emails * sender["writes"],
                  emails * sender["emails"], emails, 2 * batches))  # ReceiveMessage, DeleteMessageBatch

    events = sum(step[9] for step in steps)
    publishes = events / EVENTS_PER_PUBLISH
    # One PutEvents per batch, assumed as long as a DynamoDB call.
    steps.append(("publish the audit trail", 0, publishes, publishes, DYNAMODB_CALL_MS,
                  DYNAMODB_CALL_MS, 0, 0, 0, 0, 0))

    def lambda_cost(ms_of):
        cost = 0.0
        for step in steps:
            billed = math.ceil(ms_of(step))  # Lambda bills by the millisecond, rounded up
            cost += step[2] * LAMBDA_REQUEST + step[3] * billed / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64
        cold = sum(step[2] for step in steps) * COLD_SHARE
        return cost + cold * math.ceil(cold_ms) / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64

    cold_ms = find(init, "invite")
    modelled = lambda_cost(lambda step: step[4])
    on_moto = lambda_cost(lambda step: step[5])

    for source in SOURCES:
        print(f"({source})\n")
    print(f"Per {INVITATIONS:,} invitations (assumptions in bench/cost_model.py):\n")
    print("| step | HTTP requests | Lambda invocations | billed ms each (modelled) | moto wall p50 ms | "
          "DynamoDB read units | write units | emails | audit events | SQS requests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for what, requests, invocations, _, ms, moto_ms, reads, writes, emails_, events_, sqs in steps:
        print(f"| {what} | {requests:,.0f} | {invocations:,.0f} | {ms:.1f} | {moto_ms:.1f} | "
              f"{reads:,.0f} | {writes:,.0f} | {emails_:,.0f} | {events_:,.0f} | {sqs:,.0f} |")
    requests = sum(step[1] for step in steps)
    reads = sum(step[6] for step in steps)
    writes = sum(step[7] for step in steps)
    emails = sum(step[8] for step in steps)
    sqs = sum(step[10] for step in steps)
    costs = [
        (f"Lambda (arm64, {LAMBDA_MEMORY_GB * 1024:.0f} MB: requests and modelled billed ms; "
         f"cold inits at {COLD_SHARE:.0%} of {cold_ms:.0f} ms)", modelled),
        ("API Gateway HTTP API", requests * HTTP_API_REQUEST),
        ("DynamoDB on demand: reads", reads * DYNAMODB_READ_UNIT),
        ("DynamoDB on demand: writes", writes * DYNAMODB_WRITE_UNIT),
        ("SES", emails * SES_EMAIL),
        ("SQS (standard queue)", sqs * SQS_REQUEST),
        ("EventBridge (audit events)", events * EVENTBRIDGE_EVENT),
    ]
    total = sum(cost for _, cost in costs)
    print("\n| service | USD per 1M invitations | share |")
    print("| --- | ---: | ---: |")
    for what, cost in costs:
        print(f"| {what} | {cost:,.2f} | {cost / total:.1%} |")
    print(f"| **total** | **{total:,.2f}** | |")
    print(f"\nWith every warm request billed at its wall time on moto instead (an upper bound: moto is "
          f"far slower than DynamoDB), Lambda would cost {on_moto:,.2f} USD and the total "
          f"{total - modelled + on_moto:,.2f} USD.")

    # Fixed, whatever the traffic: the schedule's ticks, each some queries, and the event source
    # mapping's long polls of the empty queue, every month.
    ten_minute, daily = 30 * 24 * 6, 30
    delivery = find(units, "delivery sweep (nothing due")
    tick_queries = delivery["calls"].get("DynamoDB Query", 0) + expiry["calls"].get("DynamoDB Query", 0)
    daily_queries = sweep["calls"].get("DynamoDB Query", 0)
    tick_cost = lambda queries, reads: (
        LAMBDA_REQUEST
        + math.ceil(queries * DYNAMODB_CALL_MS) / 1000 * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM64
        + reads * DYNAMODB_READ_UNIT)
    ticks = (ten_minute * tick_cost(tick_queries, delivery["reads"] + expiry["reads"] / 2)
             + daily * tick_cost(daily_queries, sweep["reads"] / 2))
    polls = ESM_POLLERS * 30 * 24 * 3600 / ESM_POLL_SECONDS
    print(f"\nFixed each month, whatever the traffic: {ten_minute + daily:,} schedule ticks "
          f"({tick_queries} queries every 10 minutes, {daily_queries} daily) {ticks:,.4f} USD; the "
          f"event source mapping's long polls of the queue ({ESM_POLLERS} pollers, one "
          f"{ESM_POLL_SECONDS} s poll each at a time: {polls:,.0f} requests) "
          f"{polls * SQS_REQUEST:,.2f} USD; together {ticks + polls * SQS_REQUEST:,.2f} USD")


main()
