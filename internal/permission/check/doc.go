// Package check answers "does subject S have relation R on object O?" from
// relation tuples and a permission model, the way Zanzibar does.
//
// Evaluation is set-at-a-time: a Request carries many objects of one
// namespace, so a traverse over 1,000 parents, or one level of group nesting,
// costs one storage query instead of one per object. Every sub-problem goes
// back through the head of a decorator chain (depth budget, cycle detection,
// cache keyed by revision, single flight), so caching and limits apply to
// every level, not just the top.
//
// Results are three-valued: Member, NotMember, and Unknown when the depth
// budget ran out before an answer was found. Union: any Member wins, else any
// Unknown. Intersection: any NotMember wins, else any Unknown. Negation swaps
// Member and NotMember and keeps Unknown. A cycle in the data is cut (the
// revisited node counts as NotMember), and results computed under a cut are
// never cached as NotMember.
package check
