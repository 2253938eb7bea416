//! The role graph as SVG: a column per type that has roles, a box per role, straight arrows.

use super::render::esc;
use crate::compiled::Policy;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RoleGraph {
    /// Per column: the type's name and its roles (name, elevated or sealed).
    columns: Vec<(String, Vec<(String, bool)>)>,
    /// (from column, from row, to column, to row, kind): 0 includes, 1 from, 2 default from,
    /// 3 assigns.
    edges: Vec<(usize, usize, usize, usize, u8)>,
}

const BOX_W: usize = 150;
const BOX_H: usize = 28;
const COL_GAP: usize = 90;
const ROW_GAP: usize = 22;
const TOP: usize = 40;

impl RoleGraph {
    pub(super) fn new(policy: &Policy) -> RoleGraph {
        let mut column_of = vec![None; policy.types.len()];
        let mut columns = Vec::new();
        for (i, t) in policy.types.iter().enumerate() {
            if t.roles.is_empty() {
                continue;
            }
            column_of[i] = Some(columns.len());
            columns.push((
                t.name.clone(),
                t.roles
                    .iter()
                    .map(|r| (r.name.clone(), r.elevated || r.sealed))
                    .collect(),
            ));
        }
        let mut edges = Vec::new();
        for (i, t) in policy.types.iter().enumerate() {
            let Some(c) = column_of[i] else { continue };
            for (ri, r) in t.roles.iter().enumerate() {
                for inc in &r.includes {
                    edges.push((c, ri, c, inc.index(), 0));
                }
                for f in &r.from {
                    if let Some(fc) = column_of[f.target.index()] {
                        edges.push((fc, f.role.index(), c, ri, if f.default { 2 } else { 1 }));
                    }
                }
                for p in &r.effective {
                    for q in &t.permissions[p.index()].assigns {
                        if q.index() != ri {
                            edges.push((c, ri, c, q.index(), 3));
                        }
                    }
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        RoleGraph { columns, edges }
    }

    fn at(&self, col: usize, row: usize) -> (usize, usize) {
        (20 + col * (BOX_W + COL_GAP), TOP + row * (BOX_H + ROW_GAP))
    }

    pub(super) fn svg(&self) -> String {
        let rows = self.columns.iter().map(|c| c.1.len()).max().unwrap_or(0);
        let width = 40 + self.columns.len() * (BOX_W + COL_GAP);
        let height = TOP + rows * (BOX_H + ROW_GAP) + 20;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n"
        );
        for (c, (name, roles)) in self.columns.iter().enumerate() {
            let (x, _) = self.at(c, 0);
            s.push_str(&format!(
                "<text x=\"{}\" y=\"22\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\n",
                x + BOX_W / 2,
                esc(name)
            ));
            for (r, (role, marked)) in roles.iter().enumerate() {
                let (x, y) = self.at(c, r);
                s.push_str(&format!(
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"5\" fill=\"{}\" stroke=\"#555\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                    if *marked { "#fde8e8" } else { "#f4f4f4" },
                    x + BOX_W / 2,
                    y + BOX_H / 2 + 4,
                    esc(role)
                ));
            }
        }
        for &(fc, fr, tc, tr, kind) in &self.edges {
            let (fx, fy) = self.at(fc, fr);
            let (tx, ty) = self.at(tc, tr);
            let (x1, y1, x2, y2) = if fc == tc {
                // Within a column: from the right side (includes) or the left (assigns), bent.
                let (side, bend) = if kind == 3 {
                    (fx, fx.saturating_sub(30))
                } else {
                    (fx + BOX_W, fx + BOX_W + 30)
                };
                let (y1, y2) = (fy + BOX_H / 2, ty + BOX_H / 2);
                let style = edge_style(kind);
                s.push_str(&format!(
                    "<path d=\"M{side},{y1} C{bend},{y1} {bend},{y2} {side},{y2}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>\n"
                ));
                continue;
            } else if fc < tc {
                (fx + BOX_W, fy + BOX_H / 2, tx, ty + BOX_H / 2)
            } else {
                (fx, fy + BOX_H / 2, tx + BOX_W, ty + BOX_H / 2)
            };
            s.push_str(&format!(
                "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" {} marker-end=\"url(#arrow)\"/>\n",
                edge_style(kind)
            ));
        }
        s.push_str("</svg>");
        s
    }
}

fn edge_style(kind: u8) -> &'static str {
    match kind {
        0 => "stroke=\"#555\"",
        1 => "stroke=\"#2a6ad0\"",
        2 => "stroke=\"#2a6ad0\" stroke-dasharray=\"5,3\"",
        _ => "stroke=\"#c03030\" stroke-dasharray=\"2,3\"",
    }
}
