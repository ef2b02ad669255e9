//! The AWS adapters of the domain's ports, built from one `aws_config`, and an interceptor that
//! counts the calls they make. The SES v2 mailer is here; the DynamoDB store is next.

pub mod calls;
pub mod ses;

pub use ses::SesMailer;
