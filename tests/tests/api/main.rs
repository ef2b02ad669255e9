//! The HTTP API through the handlers, with API Gateway events, on the embedded store: the seed story, errors, bounds, limits, the inviter's allowance, idempotency, sign-in, events, the web console and the OpenAPI document.

mod agents;
mod allowance;
mod bounds;
mod daily_limits;
mod errors;
mod events;
mod idempotency;
mod limits;
mod my_invitations;
mod openapi;
mod seed_story;
mod sign_in;
mod web;
