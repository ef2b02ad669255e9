//! The AWS adapters of the domain's ports, built from one `aws_config`, and an interceptor that
//! counts the calls they make.

pub mod calls;
pub mod dynamo;
pub mod events;
pub mod ses;

pub use dynamo::DynamoStore;
pub use events::EventPublisher;
pub use ses::SesMailer;
