//! The functions of a deployment and what each one needs.

/// One Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Workgroups,
    Invite,
    List,
    Manage,
    Accept,
    Remind,
    /// The queue of due emails, handed to SES at its sending rate.
    Send,
    /// SES's bounce and complaint events, through EventBridge.
    Feedback,
    /// The audit trail, from the table's stream to EventBridge.
    Publish,
}

impl Function {
    pub const ALL: [Function; 9] = [
        Function::Workgroups,
        Function::Invite,
        Function::List,
        Function::Manage,
        Function::Accept,
        Function::Remind,
        Function::Send,
        Function::Feedback,
        Function::Publish,
    ];

    /// The binary's name, which is also how the templates refer to it.
    pub fn name(self) -> &'static str {
        match self {
            Function::Workgroups => "workgroups",
            Function::Invite => "invite",
            Function::List => "list",
            Function::Manage => "manage",
            Function::Accept => "accept",
            Function::Remind => "remind",
            Function::Send => "send",
            Function::Feedback => "feedback",
            Function::Publish => "publish",
        }
    }

    /// Whether API Gateway routes requests to the function (its handler is an
    /// [`api::HttpFunction`]).
    pub fn answers_http(self) -> bool {
        matches!(
            self,
            Function::Workgroups
                | Function::Invite
                | Function::List
                | Function::Manage
                | Function::Accept
        )
    }

    /// Whether the function runs the use cases (and so needs the key and the app's settings);
    /// the feedback function only marks invitations, the publish function only forwards events.
    pub fn runs_app(self) -> bool {
        !matches!(self, Function::Feedback | Function::Publish)
    }

    /// Whether the function reads or writes the table (the publish function gets its events
    /// from the table's stream instead).
    pub fn uses_table(self) -> bool {
        self != Function::Publish
    }

    /// Whether the function makes emails due, and so posts them to the queue.
    pub fn posts_email(self) -> bool {
        matches!(self, Function::Invite | Function::Manage | Function::Remind)
    }

    /// Whether the function hands emails to SES, and so needs a sender and SES permissions:
    /// only the one that drains the queue.
    pub fn sends_email(self) -> bool {
        self == Function::Send
    }
}
