//! The wait-for graph of a finding as inline SVG, laid out here (no Graphviz
//! or Mermaid at view time). Goroutines (boxes, linked to their group) wait on
//! resources (pills); an arrow from a resource points to whoever can release
//! it. Edges carry the operation and the line. A simple chain is laid out in
//! a row, anything else on a circle, which keeps cycles visibly cyclic.

use std::f64::consts::PI;
use std::fmt::Write as _;

use gostuck_engine::{Finding, Report, WaitEdge};

use super::{esc, layout_count, Index};

/// Findings with more nodes than this get no drawing (the text says it all).
const MAX_NODES: usize = 40;
/// Characters of a node or edge label before it is shortened.
const MAX_LABEL: usize = 44;
const CHAR_W: f64 = 7.2;
const LABEL_CHAR_W: f64 = 6.4;

#[derive(PartialEq)]
enum Shape {
    Goroutine,
    Resource,
    Nobody,
}

struct Node {
    key: String,
    shape: Shape,
    label: String,
    sub: String,
    group: Option<usize>,
    x: f64,
    y: f64,
}

impl Node {
    fn w(&self) -> f64 {
        let chars = short(&self.label)
            .chars()
            .count()
            .max(short(&self.sub).chars().count());
        24.0 + CHAR_W * layout_count(chars)
    }

    fn h(&self) -> f64 {
        if self.sub.is_empty() {
            28.0
        } else {
            42.0
        }
    }
}

struct Edge {
    from: usize,
    to: usize,
    label: String,
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

fn short(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_LABEL - 1).collect();
    format!("{head}…")
}

fn base(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

impl Graph {
    fn node(&mut self, key: String, make: impl FnOnce() -> Node) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n.key == key) {
            return i;
        }
        let mut n = make();
        n.key = key;
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, label: String) {
        if !self.edges.iter().any(|e| e.from == from && e.to == to) {
            self.edges.push(Edge { from, to, label });
        }
    }

    /// A goroutine node: its group when known, else its label.
    fn goroutine(
        &mut self,
        r: &Report,
        f: &Finding,
        idx: &Index,
        ids: &[u64],
        label: &str,
    ) -> usize {
        let group = idx.group_of(ids);
        let key = goroutine_key(idx, ids, label);
        let at = f
            .locations
            .iter()
            .find(|l| l.role == "blocked" && l.goroutine.is_some_and(|g| ids.contains(&g)));
        let sub = at.map(|l| l.function.clone()).unwrap_or_else(|| {
            group
                .and_then(|g| {
                    r.groups[g]
                        .user_frame
                        .map(|u| r.groups[g].frames[u].function.clone())
                })
                .unwrap_or_default()
        });
        self.node(key, || Node {
            key: String::new(),
            shape: Shape::Goroutine,
            label: label.to_string(),
            sub,
            group,
            x: 0.0,
            y: 0.0,
        })
    }

    fn resource(&mut self, key: String, name: &str) -> usize {
        self.node(format!("r{key}"), || Node {
            key: String::new(),
            shape: Shape::Resource,
            label: name.to_string(),
            sub: String::new(),
            group: None,
            x: 0.0,
            y: 0.0,
        })
    }
}

fn goroutine_key(idx: &Index, ids: &[u64], label: &str) -> String {
    match idx.group_of(ids) {
        Some(g) => format!("g{g}"),
        None => format!("l{label}"),
    }
}

/// `sync.Mutex.Lock · main.go:28`: what `ids` are blocked in, and where.
fn operation(r: &Report, f: &Finding, idx: &Index, ids: &[u64]) -> String {
    let state = idx
        .group_of(ids)
        .map(|g| r.groups[g].state.clone())
        .unwrap_or_else(|| "waits".to_string());
    match f
        .locations
        .iter()
        .find(|l| l.role == "blocked" && l.goroutine.is_some_and(|g| ids.contains(&g)))
    {
        Some(l) => format!("{state} · {}:{}", base(&l.file), l.line),
        None => state,
    }
}

/// `held by · main.go:24`: how `e.to` can release what `e.from` waits on.
fn release(f: &Finding, e: &WaitEdge) -> String {
    let (what, role) = match e.relation {
        "holds" => ("held since", "acquired"),
        "would-send" => ("would send", "would-send"),
        "would-receive" => ("would receive", "would-receive"),
        "would-release" => ("would release", "would-release"),
        other => (other, other),
    };
    let at = f
        .locations
        .iter()
        .find(|l| l.role == role && l.goroutine.is_some_and(|g| e.to.contains(&g)));
    match at {
        Some(l) => format!("{what} · {}:{}", base(&l.file), l.line),
        None => what.to_string(),
    }
}

fn build(r: &Report, f: &Finding, idx: &Index) -> Graph {
    let mut g = Graph::default();
    for e in &f.edges {
        // Nodes are made in the order of the chain (waiter, resource,
        // releaser), so the circle keeps a cycle's members adjacent.
        let from = g.goroutine(r, f, idx, &e.from, &e.from_label);
        let op = operation(r, f, idx, &e.from);
        match &e.resource {
            Some(name) => {
                // A lock is one per holder; a channel or WaitGroup one per name.
                let key = if e.relation == "holds" {
                    format!("{name}@{}", goroutine_key(idx, &e.to, &e.to_label))
                } else {
                    name.clone()
                };
                let res = g.resource(key, name);
                let to = g.goroutine(r, f, idx, &e.to, &e.to_label);
                g.edge(from, res, op);
                g.edge(res, to, release(f, e));
            }
            None => {
                let to = g.goroutine(r, f, idx, &e.to, &e.to_label);
                g.edge(from, to, format!("{op}; {}", release(f, e)));
            }
        }
    }
    orphans(&mut g, r, f, idx);
    g
}

/// Blocked goroutines no wait edge starts from: nobody can release them.
/// Each waits on the finding's first resource no edge names, which points to
/// a dashed "no live goroutine".
fn orphans(g: &mut Graph, r: &Report, f: &Finding, idx: &Index) {
    let waiting = |id: u64| f.edges.iter().any(|e| e.from.contains(&id));
    let orphaned: Vec<&gostuck_engine::Location> = f
        .locations
        .iter()
        .filter(|l| l.role == "blocked" && !l.goroutine.is_some_and(waiting))
        .collect();
    if orphaned.is_empty() {
        return;
    }
    let named = |n: &Option<String>| {
        f.edges
            .iter()
            .any(|e| e.resource.is_some() && e.resource == *n)
    };
    let first = f
        .resources
        .iter()
        .find(|res| !named(&res.name))
        .or(f.resources.first());
    let res = first.map(|res| {
        let name = res.name.clone().unwrap_or_else(|| res.kind.to_string());
        g.resource(name.clone(), &name)
    });
    let nobody = res.map(|res| {
        let n = g.node("nobody".to_string(), || Node {
            key: String::new(),
            shape: Shape::Nobody,
            label: "no live goroutine".to_string(),
            sub: String::new(),
            group: None,
            x: 0.0,
            y: 0.0,
        });
        g.edge(res, n, "released by".to_string());
        n
    });
    let _ = nobody;
    for l in orphaned {
        let ids: Vec<u64> = l.goroutine.into_iter().collect();
        let group = idx.group_of(&ids);
        let label = match group {
            Some(gi) if r.groups[gi].count > 1 => format!("{} goroutines", r.groups[gi].count),
            _ => l
                .goroutine
                .map_or_else(|| "goroutines".to_string(), |id| format!("goroutine {id}")),
        };
        let node = g.goroutine(r, f, idx, &ids, &label);
        if let Some(res) = res {
            let state = group.map_or("waits", |gi| r.groups[gi].state.as_str());
            g.edge(node, res, format!("{state} · {}:{}", base(&l.file), l.line));
        }
    }
}

/// `reach[i][j]`: `j` can be reached from `i` along one or more edges.
fn reachability(g: &Graph) -> Vec<Vec<bool>> {
    let n = g.nodes.len();
    let mut reach = vec![vec![false; n]; n];
    for (i, row) in reach.iter_mut().enumerate() {
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            for e in g.edges.iter().filter(|e| e.from == k) {
                if !row[e.to] {
                    row[e.to] = true;
                    stack.push(e.to);
                }
            }
        }
    }
    reach
}

/// Shortest edge count from `from` to any node in `to`, over `edges`
/// read forwards (`true`) or backwards.
fn distance(g: &Graph, start: usize, targets: &[bool], forwards: bool) -> Option<usize> {
    let mut seen = vec![false; g.nodes.len()];
    let mut frontier = vec![start];
    seen[start] = true;
    for d in 1..=g.nodes.len() {
        let mut next = Vec::new();
        for &k in &frontier {
            for e in &g.edges {
                let (a, b) = if forwards {
                    (e.from, e.to)
                } else {
                    (e.to, e.from)
                };
                if a == k && !seen[b] {
                    if targets[b] {
                        return Some(d);
                    }
                    seen[b] = true;
                    next.push(b);
                }
            }
        }
        frontier = next;
    }
    None
}

/// Places nodes. The members of cycles go on a circle (a cycle stays
/// visibly cyclic); every other node goes in a column left of it when it
/// leads into the cycle (one column per step), right of it when it is only
/// reached from it. Without a cycle, columns by longest path from a source
/// (a chain becomes a row).
fn layout(g: &mut Graph) {
    let n = g.nodes.len();
    let reach = reachability(g);
    let cyclic: Vec<bool> = (0..n).map(|i| reach[i][i]).collect();
    let mut column = vec![0i64; n];
    if cyclic.iter().any(|&c| c) {
        for i in (0..n).filter(|&i| !cyclic[i]) {
            column[i] = match distance(g, i, &cyclic, true) {
                Some(d) => -i64::try_from(d).unwrap_or(i64::MAX),
                None => distance(g, i, &cyclic, false)
                    .map_or(1, |d| i64::try_from(d).unwrap_or(i64::MAX)),
            };
        }
    } else {
        for _ in 0..n {
            for e in &g.edges {
                column[e.to] = column[e.to].max(column[e.from] + 1);
            }
        }
    }
    // The circle (column 0 when there is a cycle).
    let ring: Vec<usize> = (0..n).filter(|&i| cyclic[i]).collect();
    let (rx, ry) = if ring.is_empty() {
        (0.0, 0.0)
    } else {
        let r = (layout_count(ring.len()) * 30.0).max(95.0);
        let ring_widest = ring.iter().map(|&i| g.nodes[i].w()).fold(0.0, f64::max);
        // Wide enough that the labels of two edges side by side on the ring
        // (both at mid-height of its upper or lower half) do not meet.
        let ring_label = g
            .edges
            .iter()
            .filter(|e| cyclic[e.from] && cyclic[e.to])
            .map(|e| LABEL_CHAR_W * layout_count(short(&e.label).chars().count()))
            .fold(0.0, f64::max);
        ((r * 1.3).max(ring_label + 30.0) + ring_widest * 0.3, r)
    };
    for (k, &i) in ring.iter().enumerate() {
        let a = -PI / 2.0 + 2.0 * PI * layout_count(k) / layout_count(ring.len());
        g.nodes[i].x = rx * a.cos();
        g.nodes[i].y = ry * a.sin();
    }
    let (lo, hi) = (
        column.iter().copied().min().unwrap_or(0),
        column.iter().copied().max().unwrap_or(0),
    );
    // Column centres, outwards from the ring (or from column 0): each gap
    // fits half of both columns' widest nodes and the longest label of an
    // edge touching the outer column.
    let width = |c: i64| -> f64 {
        (0..n)
            .filter(|&i| !cyclic[i] && column[i] == c)
            .map(|i| g.nodes[i].w())
            .fold(0.0, f64::max)
    };
    let label = |c: i64| -> f64 {
        g.edges
            .iter()
            .filter(|e| {
                column[e.from] == c && !cyclic[e.from] || column[e.to] == c && !cyclic[e.to]
            })
            .map(|e| LABEL_CHAR_W * layout_count(short(&e.label).chars().count()))
            .fold(0.0, f64::max)
            .max(50.0)
            + 36.0
    };
    let mut centre: std::collections::HashMap<i64, f64> = std::collections::HashMap::new();
    let (ring_left, ring_right) = if ring.is_empty() {
        centre.insert(0, 0.0);
        (0.0, 0.0)
    } else {
        (
            ring.iter()
                .map(|&i| g.nodes[i].x - g.nodes[i].w() / 2.0)
                .fold(f64::MAX, f64::min),
            ring.iter()
                .map(|&i| g.nodes[i].x + g.nodes[i].w() / 2.0)
                .fold(f64::MIN, f64::max),
        )
    };
    let mut edge = ring_left;
    for c in (lo..0).rev() {
        let x = edge - label(c) - width(c) / 2.0;
        centre.insert(c, x);
        edge = x - width(c) / 2.0;
    }
    let mut edge = if ring.is_empty() {
        width(0) / 2.0
    } else {
        ring_right
    };
    for c in (if ring.is_empty() { 1 } else { 0 })..=hi {
        if c == 0 && !ring.is_empty() {
            continue;
        }
        let x = edge + label(c) + width(c) / 2.0;
        centre.insert(c, x);
        edge = x + width(c) / 2.0;
    }
    let edge_x = |c: i64| centre.get(&c).copied().unwrap_or(0.0);
    for c in lo..=hi {
        let members: Vec<usize> = (0..n).filter(|&i| !cyclic[i] && column[i] == c).collect();
        let m = layout_count(members.len());
        for (k, &i) in members.iter().enumerate() {
            g.nodes[i].x = edge_x(c);
            g.nodes[i].y = (layout_count(k) - (m - 1.0) / 2.0) * 80.0;
        }
    }
}

/// Where the segment from the centre of `a` towards `(tx, ty)` leaves `a`'s box.
fn border(a: &Node, tx: f64, ty: f64) -> (f64, f64) {
    let (dx, dy) = (tx - a.x, ty - a.y);
    let sx = if dx.abs() > 1e-9 {
        (a.w() / 2.0 + 3.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let sy = if dy.abs() > 1e-9 {
        (a.h() / 2.0 + 3.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let t = sx.min(sy).min(1.0);
    (a.x + dx * t, a.y + dy * t)
}

/// The drawing's extent, grown by everything drawn.
struct Bounds {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Bounds {
    fn grow(&mut self, x: f64, y: f64) {
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
    }
}

/// The edges with their labels (arrowheads use marker `arrow{i}`).
fn draw_edges(g: &Graph, i: usize, body: &mut String, bounds: &mut Bounds) {
    for e in &g.edges {
        let (a, b) = (&g.nodes[e.from], &g.nodes[e.to]);
        // Two edges between the same pair are drawn apart.
        let both = g.edges.iter().any(|o| o.from == e.to && o.to == e.from);
        let (nx, ny) = {
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            (-dy / len, dx / len)
        };
        let off = if both { 7.0 } else { 0.0 };
        let (ax, ay) = border(a, b.x + nx * off, b.y + ny * off);
        let (bx, by) = border(b, a.x + nx * off, a.y + ny * off);
        let (ax, ay, bx, by) = (ax + nx * off, ay + ny * off, bx + nx * off, by + ny * off);
        let _ = write!(
            body,
            "<line class=\"edge\" x1=\"{ax:.1}\" y1=\"{ay:.1}\" x2=\"{bx:.1}\" y2=\"{by:.1}\" marker-end=\"url(#arrow{i})\"/>"
        );
        let label = short(&e.label);
        // Labels of a pair of opposite edges sit at different points along
        // them (a third of the way from each one's start), not side by side.
        let t = if both { 0.33 } else { 0.5 };
        let (mx, my) = (ax + (bx - ax) * t, ay + (by - ay) * t);
        // Beside a steep edge (on its own side when paired), above a flat one.
        let steep = nx.abs() > 0.7;
        let side = if both && nx < 0.0 { -1.0 } else { 1.0 };
        let (lx, ly, anchor) = if steep {
            (
                mx + side * 8.0,
                my + 4.0,
                if side > 0.0 { "start" } else { "end" },
            )
        } else {
            (mx + nx * off * 1.5, my + ny * off * 1.5 - 6.0, "middle")
        };
        let w = LABEL_CHAR_W * layout_count(label.chars().count());
        let (left, right) = match anchor {
            "start" => (lx, lx + w),
            "end" => (lx - w, lx),
            _ => (lx - w / 2.0, lx + w / 2.0),
        };
        bounds.grow(left, ly - 12.0);
        bounds.grow(right, ly + 4.0);
        let _ = write!(
            body,
            "<text class=\"elabel\" x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\">{}<title>{}</title></text>",
            esc(&label),
            esc(&e.label)
        );
    }
}

/// The nodes; goroutine nodes link to their group.
fn draw_nodes(g: &Graph, body: &mut String, bounds: &mut Bounds) {
    for n in &g.nodes {
        let (w, h) = (n.w(), n.h());
        bounds.grow(n.x - w / 2.0, n.y - h / 2.0);
        bounds.grow(n.x + w / 2.0, n.y + h / 2.0);
        let (class, rx) = match n.shape {
            Shape::Goroutine => ("node goroutine", 6.0),
            Shape::Resource => ("node resource", h / 2.0),
            Shape::Nobody => ("node nobody", 6.0),
        };
        let mut shape = format!(
            "<g class=\"{class}\"><title>{}{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"{rx:.1}\"/>",
            esc(&n.label),
            if n.sub.is_empty() { String::new() } else { format!(" — {}", esc(&n.sub)) },
            n.x - w / 2.0,
            n.y - h / 2.0
        );
        let ty = if n.sub.is_empty() {
            n.y + 4.0
        } else {
            n.y - 3.0
        };
        let _ = write!(
            shape,
            "<text class=\"nlabel\" x=\"{:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{}</text>",
            n.x,
            esc(&short(&n.label))
        );
        if !n.sub.is_empty() {
            let _ = write!(
                shape,
                "<text class=\"nsub\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                n.x,
                n.y + 12.0,
                esc(&short(&n.sub))
            );
        }
        shape.push_str("</g>");
        match n.group {
            Some(grp) => {
                let _ = write!(body, "<a href=\"#g{grp}\" class=\"nodelink\">{shape}</a>");
            }
            None => body.push_str(&shape),
        }
    }
}

/// The SVG of finding number `i`, or `None` when there is nothing to draw.
pub(crate) fn svg(r: &Report, f: &Finding, i: usize, idx: &Index) -> Option<String> {
    let mut g = build(r, f, idx);
    if g.nodes.is_empty() || g.nodes.len() > MAX_NODES {
        return None;
    }
    layout(&mut g);
    let mut body = String::new();
    let mut b = Bounds {
        x0: f64::MAX,
        y0: f64::MAX,
        x1: f64::MIN,
        y1: f64::MIN,
    };
    draw_edges(&g, i, &mut body, &mut b);
    draw_nodes(&g, &mut body, &mut b);
    let m = 14.0;
    let (vx, vy, vw, vh) = (
        b.x0 - m,
        b.y0 - m,
        b.x1 - b.x0 + 2.0 * m,
        b.y1 - b.y0 + 2.0 * m,
    );
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"wfg\" viewBox=\"{vx:.1} {vy:.1} {vw:.1} {vh:.1}\" width=\"{vw:.0}\" height=\"{vh:.0}\" role=\"img\" aria-label=\"Wait-for graph of {}\">\
         <defs><marker id=\"arrow{i}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" class=\"arrowhead\"/></marker></defs>{body}</svg>",
        esc(&f.id)
    ))
}
