//! Strongly connected components without recursion: the role closure (`plan::close_roles`),
//! the plan graph (`fast.rs`) and the resolver's include-cycle check walk graphs as deep as the
//! policy's longest chain, which must not depend on the caller's stack (a 2 MiB thread).

/// The strongly connected components of a graph of `n` nodes (Tarjan's algorithm with an
/// explicit stack): each node's component, and the components in an order where every
/// component comes after every component it reaches.
pub(crate) fn components(n: usize, succ: impl Fn(usize) -> Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    const NONE: usize = usize::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut order = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0usize;
    // (node, its successors, how many of them were visited)
    let mut call: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        call.push((root, succ(root), 0));
        while let Some((v, kids, i)) = call.last_mut() {
            let v = *v;
            if let Some(&w) = kids.get(*i) {
                *i += 1;
                if index[w] == NONE {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, succ(w), 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some((u, _, _)) = call.last() {
                low[*u] = low[*u].min(low[v]);
            }
            if low[v] == index[v] {
                let c = order.len();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = c;
                    if w == v {
                        break;
                    }
                }
                order.push(c);
            }
        }
    }
    (comp, order)
}
