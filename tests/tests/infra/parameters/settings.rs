//! Every setting both templates and the code accept: its parameter, its variable, and the values tried on each.

use super::*;

pub(super) fn settings() -> Vec<Setting> {
    let mut settings = vec![
        Setting {
            sam: "AppBaseUrl",
            read: Read::Exactly {
                function: Function::Invite,
                variable: config::APP_BASE_URL,
                env: |v| {
                    let url = if v.is_empty() { API_URL } else { v };
                    vec![vec![("APP_BASE_URL", url.to_owned())]]
                },
            },
            samples: strings(&[
                "",
                "https://app.example.com",
                "https://APP.Example.com",
                "https://localhost",
                "https://a-b.example.com",
                "https://x1.y2.z3",
                "http://app.example.com",
                "https://app.example.com/",
                "https://app.example.com/base",
                "https://app.example.com:8443",
                "https://-a.example.com",
                "https://a-.example.com",
                "https://a..b",
                "https://app.example.com.",
                "https://app.example.com?x=1",
                "https://app.example.com#x",
                "https://app_example.com",
                "https://",
                "app.example.com",
                "HTTPS://app.example.com",
            ]),
        },
        Setting {
            sam: "SenderAddress",
            read: Read::Exactly {
                function: Function::Send,
                variable: config::SES_SENDER,
                // With and without a sender name.
                env: |v| {
                    vec![
                        vec![("SES_SENDER", v.to_owned())],
                        vec![("SES_SENDER", format!("Invitations <{v}>"))],
                    ]
                },
            },
            samples: {
                let mut samples = strings(&[
                    "no-reply@example.com",
                    "no.reply+tag@mail.example.co.uk",
                    "o'brien@example.com",
                    "a@b.co",
                    "x@xn--bcher-kva.example",
                    "x@example.1a",
                    "No-Reply@example.com",
                    "no-reply@Example.com",
                    "no-reply@bücher.example",
                    "jöran@example.com",
                    "no-reply@example",
                    "no-reply@example.123",
                    ".a@example.com",
                    "a.@example.com",
                    "a..b@example.com",
                    "a@-example.com",
                    "a@example-.com",
                    "a@exa_mple.com",
                    "a@.example.com",
                    "a@example..com",
                    "a b@example.com",
                    "\"a\"@example.com",
                    "a@b@example.com",
                    "a@[127.0.0.1]",
                    "Name <a@example.com>",
                    "a(comment)@example.com",
                    "",
                ]);
                samples.push(format!("{}@example.com", "a".repeat(64)));
                samples.push(format!("{}@example.com", "a".repeat(65)));
                samples.push(format!("a@{}.com", "b".repeat(63)));
                samples.push(format!("a@{}.com", "b".repeat(64)));
                samples.push(format!(
                    "a@{}.{}.{}.{}.com",
                    "b".repeat(60),
                    "c".repeat(60),
                    "d".repeat(60),
                    "e".repeat(60)
                ));
                samples.push(format!(
                    "a@{}.{}.{}.{}.com",
                    "b".repeat(61),
                    "c".repeat(61),
                    "d".repeat(61),
                    "e".repeat(61)
                ));
                samples
            },
        },
        Setting {
            sam: "SenderName",
            read: Read::Exactly {
                function: Function::Send,
                variable: config::SES_SENDER,
                env: |v| {
                    let sender = if v.is_empty() {
                        "no-reply@example.com".to_owned()
                    } else {
                        format!("{v} <no-reply@example.com>")
                    };
                    vec![vec![("SES_SENDER", sender)]]
                },
            },
            samples: strings(&[
                "",
                "Invitations",
                "Acme, Inc.",
                "Équipe Acme",
                "a<b",
                "\"Q\"",
                " ",
            ]),
        },
        Setting {
            sam: "SenderIdentity",
            read: Read::Not {
                why: "CloudFormation creates the SES identity it names",
            },
            samples: strings(&["domain", "address", "existing", "", "example.com", "Domain"]),
        },
        Setting {
            sam: "JwtIssuer",
            read: Read::Not {
                why: "API Gateway's JWT authorizer reads it",
            },
            samples: strings(&[
                "",
                "https://issuer.example.com",
                "https://login.example.com/realms/x",
                "http://issuer.example.com",
                "issuer.example.com",
                "https://a b",
            ]),
        },
        Setting {
            sam: "JwtAudience",
            read: Read::Not {
                why: "API Gateway's JWT authorizer reads it",
            },
            samples: strings(&["", "client-1", "api://x", "a b"]),
        },
        Setting {
            sam: "AuthDomainPrefix",
            read: Read::Narrower {
                function: Function::List,
                env: |v| {
                    if v.is_empty() {
                        vec![vec![
                            ("SIGN_IN_DOMAIN", String::new()),
                            ("SIGN_IN_CLIENT_ID", String::new()),
                        ]]
                    } else {
                        vec![vec![
                            (
                                "SIGN_IN_DOMAIN",
                                format!("https://{v}.auth.us-east-1.amazoncognito.com"),
                            ),
                            ("SIGN_IN_CLIENT_ID", "client".to_owned()),
                        ]]
                    }
                },
                why: "Cognito takes lower-case labels without aws, amazon or cognito",
            },
            samples: {
                let mut samples = strings(&[
                    "",
                    "acme-invitations",
                    "a",
                    "a1",
                    "Acme",
                    "-acme",
                    "acme-",
                    "acme.invitations",
                    "my-aws-thing",
                    "amazonian",
                    "cognito1",
                ]);
                samples.push("a".repeat(63));
                samples.push("a".repeat(64));
                samples
            },
        },
        Setting {
            sam: "ReminderDaysBefore",
            read: Read::Exactly {
                function: Function::Remind,
                variable: config::REMINDER_DAYS_BEFORE,
                env: same("REMINDER_DAYS_BEFORE"),
            },
            samples: strings(&[
                "", "7,1", "1", "29", "14,7,3,1", "7,7", "1,29", "30", "0", "7,0", "07", "7, 1",
                " 7", "7,,1", ",7", "7,", "+7", "100", "7;1", "x",
            ]),
        },
        Setting {
            sam: "ReminderScheduleExpression",
            read: Read::Not {
                why: "EventBridge Scheduler reads it",
            },
            samples: schedule_samples(),
        },
        Setting {
            sam: "DeliveryRetryScheduleExpression",
            read: Read::Not {
                why: "EventBridge Scheduler reads it",
            },
            samples: schedule_samples(),
        },
        Setting {
            sam: "EventBusName",
            read: Read::Narrower {
                function: Function::Publish,
                env: same("EVENT_BUS_NAME"),
                why: "EventBridge takes bus names of . _ - / and alphanumerics; the policy names the bus, so not an ARN",
            },
            samples: {
                let mut samples = strings(&[
                    "default",
                    "integrations",
                    "my.bus/x-y_z",
                    "",
                    "arn:aws:events:us-east-1:123456789012:event-bus/x",
                    "a b",
                ]);
                samples.push("b".repeat(256));
                samples.push("b".repeat(257));
                samples
            },
        },
        Setting {
            sam: "AlarmEmail",
            read: Read::Not {
                why: "SNS reads it",
            },
            samples: strings(&[
                "",
                "ops@example.com",
                "ops",
                "ops@example",
                "ops @example.com",
            ]),
        },
        Setting {
            sam: "LogRetentionDays",
            read: Read::Not {
                why: "CloudWatch Logs reads it",
            },
            samples: strings(&["30", "1", "3653", "31", "0", "", "thirty"]),
        },
    ];
    for (variable, range) in COUNTS {
        let (min, max) = (*range.start(), *range.end());
        let mut samples = strings(&[
            "",
            "0",
            "01",
            "+1",
            "-1",
            "1.0",
            "2.5",
            "1e3",
            " 5",
            "5 ",
            "abc",
            "4294967295",
            "4294967296",
            "99999999999",
        ]);
        for n in [min, min + 1, max - 1, max, max + 1] {
            samples.push(n.to_string());
        }
        settings.push(Setting {
            sam: count_parameter(variable),
            read: Read::Exactly {
                function: Function::ALL
                    .into_iter()
                    .find(|f| variable.read_by(*f))
                    .unwrap(),
                variable,
                env: same(variable.name),
            },
            samples,
        });
    }
    settings
}
