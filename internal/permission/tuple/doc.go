// Package tuple is the relation tuple: "subject S has relation R on object O in
// namespace N", written N:O#R@S, where S is a subject id or a subject set
// N2:O2#R2 (everyone with relation R2 on N2:O2). It holds the model, the string
// codec, the JSON shape of the REST API and the query filters.
//
// Invariants: a valid tuple has a namespace, object and relation and exactly one
// of subject id or subject set; String and Parse round-trip every valid tuple
// whose parts contain none of the separators they are split on.
package tuple
