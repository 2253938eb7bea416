//! The reverse index of searches (`polc::eval::index`) against the brute force that decides
//! once per entity (`eval::query::actors_who_can`, `entities_which`), on generated policies and
//! facts: the same answers, in the same order, whole or page by page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Chooser, Model, Shape};
use polc::eval::index::SearchIndex;
use polc::eval::{Context, Entity, query};
use proptest::prelude::*;

fn entity(l: &common::Loaded, text: &str) -> Entity {
    let (ty, id) = text.split_once(':').unwrap();
    Entity::new(&l.policy, &l.facts, ty, id, Default::default()).unwrap()
}

fn names(v: &[Entity]) -> Vec<String> {
    v.iter().map(|e| e.name.clone()).collect()
}

/// Every page of `limit`, chained by the key of the last result, concatenated.
fn paged(mut page: impl FnMut(Option<&str>) -> polc::eval::index::Page) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let p = page(after.as_deref());
        out.extend(names(&p.found));
        if !p.more {
            return out;
        }
        after = p.found.last().map(|e| e.name.clone());
    }
    panic!("more than 100 pages");
}

fn check(data: &[u32], shape: Shape) -> Result<(), TestCaseError> {
    let mut c = Chooser::new(data);
    let model = Model::new(&mut c);
    let policy = common::policy_text(&model, shape, &mut c);
    let facts = common::facts_text(&model, &mut c);
    let show = || common::show(&policy, &facts);
    let l = common::load(&policy, &facts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", show())))?;
    let (p, f) = (&l.policy, &l.facts);
    let ix = SearchIndex::new(p, f);
    let ctx = Context::from_facts(p, f);
    let user = p.type_id("user").unwrap();
    for (r, actions) in model.resources() {
        let res = entity(&l, &r);
        for a in actions {
            let act = p.ty(res.ty).permission(a).unwrap();
            let (want, _) = query::actors_who_can(p, f, &ctx, user, act, &res);
            let got = ix.subjects(p, f, &ctx, user, act, &res, None, usize::MAX, None);
            prop_assert_eq!(
                names(&got.found),
                names(&want),
                "who can {} {}\n{}",
                a,
                r,
                show()
            );
            prop_assert!(!got.more);
            for limit in [1, 2] {
                let pages =
                    paged(|after| ix.subjects(p, f, &ctx, user, act, &res, after, limit, None));
                prop_assert_eq!(
                    &pages,
                    &names(&want),
                    "who can {} {} by {}\n{}",
                    a,
                    r,
                    limit,
                    show()
                );
            }
        }
    }
    let mut types: Vec<&str> = model.chain.iter().map(|t| t.name).collect();
    types.push("team");
    for who in model.principals() {
        let s = entity(&l, &who);
        for t in &types {
            let ty = p.type_id(t).unwrap();
            for (i, perm) in p.ty(ty).permissions.iter().enumerate() {
                let act = polc::compiled::PermId(i as u32);
                let (want, _) = query::entities_which(p, f, &ctx, ty, &s, act);
                let got = ix.resources(p, f, &ctx, ty, &s, act, None, usize::MAX, None);
                prop_assert_eq!(
                    names(&got.found),
                    names(&want),
                    "which {} {} can {}\n{}",
                    t,
                    who,
                    perm.name,
                    show()
                );
                let pages = paged(|after| ix.resources(p, f, &ctx, ty, &s, act, after, 1, None));
                prop_assert_eq!(
                    &pages,
                    &names(&want),
                    "which {} {} can {} by 1\n{}",
                    t,
                    who,
                    perm.name,
                    show()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn indexed_searches_agree_with_brute_force(data in prop::collection::vec(any::<u32>(), 0..400)) {
        check(&data, Shape::default())?;
    }

    /// Without `permit` rules the index is what narrows the candidates (a rule makes every
    /// entity one).
    #[test]
    fn indexed_searches_agree_without_permits(data in prop::collection::vec(any::<u32>(), 0..400)) {
        check(&data, Shape { no_permits: true, ..Shape::default() })?;
    }
}
