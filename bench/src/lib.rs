//! What the measurement binaries in `src/bin` share.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// A DynamoDB item, as the SDK holds it.
pub type Item = HashMap<String, AttributeValue>;

/// Every item of `table`, page after page: the benchmarks' own look at what moto holds (sizes,
/// tokens, templates to copy). The functions never scan.
pub async fn every_item(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("moto scans the table")
}

/// `n` with a comma between each group of three digits: `1234567` → `1,234,567`.
pub fn thousands(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_digits_by_three_from_the_right() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(100_000usize), "100,000");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
    }
}
