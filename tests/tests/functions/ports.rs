//! Each function's grants follow from the storage ports its use cases are bound by: the ports
//! `runtime` lists for a function are the `impl<S: …>` bounds of its use-case module (and
//! `IdempotencyKeys` where its handler replays answers), and its table grants never leave
//! what those ports' methods take.

use std::collections::BTreeSet;

use domain::store::Port;
use runtime::{Function, permissions::port_access};

const ALL_PORTS: [Port; 6] = [
    Port::People,
    Port::Invitations,
    Port::EventLog,
    Port::Counters,
    Port::IdempotencyKeys,
    Port::SendSlots,
];

fn read(path: &str) -> String {
    std::fs::read_to_string(tests::infra::workspace().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The ports named in the `<S: …>` bounds of a source file.
fn bounds_in(source: &str) -> BTreeSet<Port> {
    let mut ports = BTreeSet::new();
    for (at, _) in source.match_indices("<S: ") {
        let bound = &source[at + 4..];
        let bound = &bound[..bound.find([',', '>']).expect("a bound ends")];
        for name in bound.split('+').map(str::trim) {
            let port = ALL_PORTS
                .into_iter()
                .find(|port| format!("{port:?}") == name)
                .unwrap_or_else(|| panic!("{name} is no port"));
            ports.insert(port);
        }
    }
    ports
}

/// The ports `function`'s code is bound by: its use-case module's bounds, the idempotency
/// records its handler replays answers from, the send slots its pacing takes.
fn ports_in_code(function: Function) -> BTreeSet<Port> {
    let name = function.name();
    let use_cases = format!("shared/domain/src/usecases/{name}.rs");
    let mut ports = if tests::infra::workspace().join(&use_cases).exists() {
        bounds_in(&read(&use_cases))
    } else {
        BTreeSet::new()
    };
    let handler = read(&format!("functions/{name}/src/handler.rs"));
    if handler.contains("idempotency::once") {
        ports.insert(Port::IdempotencyKeys);
    }
    if function.sends_email() {
        ports.insert(Port::SendSlots);
    }
    ports
}

#[test]
fn the_ports_of_each_function_are_its_use_cases_bounds() {
    for function in Function::ALL {
        let listed: BTreeSet<Port> = function.ports().iter().copied().collect();
        assert_eq!(listed, ports_in_code(function), "{function:?}");
    }
}

#[test]
fn a_use_case_bound_by_fewer_ports_is_read_as_such() {
    let source = "impl<S: People + Counters, Q: Queue, C: Clock> App<S, Q, C> {}\n\
                  pub async fn f<S: Invitations>(store: &S) {}";
    assert_eq!(
        bounds_in(source),
        BTreeSet::from([Port::People, Port::Counters, Port::Invitations])
    );
}

#[test]
fn no_function_is_granted_more_of_the_table_than_its_ports_take() {
    for function in Function::ALL {
        let granted = function.permissions();
        let (mut actions, mut queries_table, mut indexes) =
            (BTreeSet::new(), false, BTreeSet::new());
        for port in function.ports() {
            let (port_actions, port_queries_table, port_indexes) = port_access(*port);
            actions.extend(port_actions.iter().copied());
            queries_table |= port_queries_table;
            indexes.extend(port_indexes.iter().copied());
        }
        for action in granted.item_actions {
            assert!(actions.contains(action), "{function:?} is granted {action}");
        }
        assert!(
            !granted.queries_table || queries_table,
            "{function:?} queries the table"
        );
        for index in granted.queried_indexes {
            assert!(indexes.contains(index), "{function:?} queries {index}");
        }
    }
}
