// Package opl parses the Ory Permission Language (OPL), the TypeScript subset
// in which namespaces, their relations and their permits are declared, into the
// Model the permission check engine evaluates, and prints a Model back as OPL.
//
// # Language
//
// A source is a sequence of imports and classes. White space, line comments
// (//) and block comments (/* */, /** */) may appear between any two tokens;
// semicolons are optional; trailing commas are allowed in every list.
//
//	File      = { Import | [ "export" ] Class | ";" } .
//	Import    = "import" [ "type" ] "{" [ Name { "," Name } [ "," ] ] "}"
//	            "from" "\"@ory/keto-namespace-types\"" [ ";" ] .
//	Class     = "class" Name "implements" "Namespace" "{" { Member [ ";" ] } "}" .
//	Member    = "related" ":" "{" { Key ":" Type Sep } "}"
//	          | "permits" "=" "{" { Key ":" Function Sep } "}" .
//	Sep       = "," | ";" | line break | (before "}") .
//	Key       = identifier | string .
//	Type      = Simple "[]" | "(" Union ")" "[]" | "Array" "<" Union ">" .
//	Union     = [ "|" ] Simple { "|" Simple } .
//	Simple    = Name | "SubjectSet" "<" Name "," string [ "," ] ">" .
//	Function  = ( "(" Param [ ":" "Context" ] [ "," ] ")" | Param ) [ ":" "boolean" ] "=>" Expr .
//	Expr      = And { "||" And } .
//	And       = Unary { "&&" Unary } .
//	Unary     = "!" Unary | "(" Expr ")" | Term .
//	Term      = "this" "." "related" Access "." "includes" "(" Param "." "subject" ")"
//	          | "this" "." "permits" Access "(" Param ")"
//	          | "this" "." "related" Access "." "traverse" "(" Callback ")" .
//	Callback  = ( "(" Var [ ":" Name ] ")" | Var ) "=>" { "(" } Call { ")" } .
//	Call      = Var "." "permits" Access "(" Param ")"
//	          | Var "." "related" Access "." "includes" "(" Param "." "subject" ")" .
//	Access    = "." identifier | "[" string "]" .
//
// Param is the name the permit declares for its parameter (often ctx) and Var
// the name the callback declares (often p); using any other name is an error.
// Strings use single or double quotes with JavaScript escapes. Calls accept a
// trailing comma. `!` binds tighter than `&&`, which binds tighter than `||`;
// `!` and parentheses nest at most MaxDepth levels.
//
// # Model
//
// Each class is a Namespace; each `related` key a Relation with Types, each
// permit a Relation with a Rewrite. A permit's expression becomes a Rewrite
// whose Op is the top-level operator; a chain of one operator (a || b || c) is
// one n-ary Rewrite, a parenthesised group of the other operator (or of the
// same one) a nested *Rewrite, and a single term a union of one child.
// `this.related.R.includes(ctx.subject)` and `this.permits.R(ctx)` both become
// ComputedSubjectSet{R}; `this.related.R.traverse(p => p.permits.X(ctx))` and
// `...traverse(p => p.related.X.includes(ctx.subject))` both become
// TupleToSubjectSet{R, X}; `!e` becomes InvertResult{e}.
//
// # Checks
//
// Parse reports every syntax error it finds, recovering at the next relation
// or class, then checks the names: namespaces and the relations within each
// namespace are unique; every type names a declared namespace; the relation of
// SubjectSet<N, "r"> exists in N (a `related` relation or a permit);
// this.related.R names a `related` relation and this.permits.P a permit of
// the same class; and the relation a traverse callback calls exists, as a
// permit (p.permits) or a `related` relation (p.related), in every namespace
// the traversed relation's types name. Declaration order does not matter.
// Positions are 1-based lines and columns counted in characters.
package opl
