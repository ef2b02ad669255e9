-- POST /invitations/lookup with the token in WRK_TOKEN (the body of every request).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"token": "' .. os.getenv("WRK_TOKEN") .. '"}'
