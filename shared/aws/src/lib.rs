//! The AWS adapters of the domain's ports, built from one `aws_config`, the pacing of emails to
//! SES's sending rate, and an interceptor that counts the calls they make.

pub mod calls;
pub mod dynamo;
pub mod emf;
pub mod events;
pub mod pace;
pub mod ses;
pub mod sqs;

pub use dynamo::DynamoStore;
pub use events::EventPublisher;
pub use pace::Paced;
pub use ses::SesMailer;
pub use sqs::SqsQueue;
