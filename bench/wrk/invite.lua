-- POST /workgroups/{wg}/invitations: re-invites one address (a resend and an email each time),
-- with the bearer in WRK_BEARER.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("WRK_BEARER")
wrk.body = '{"emails": "p2@example.com", "role": "associate"}'
