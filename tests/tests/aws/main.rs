//! The AWS adapters on moto and stand-ins: the calls each use case makes, delivery through SQS and SES, the SES mailer.

mod calls;
mod delivery;
mod mailer_ses;
