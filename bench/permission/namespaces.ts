// The permission model of the load-test dataset (bench/cmd/dataset) and of the
// C1..C5 workloads (bench/load/workloads/permission.go).
//
// Users belong to groups, groups nest in groups (the deepest chain is 16
// groups), documents sit in folders five levels deep, and some documents sit
// in 200 or 1,000 folders at once. A document can be viewed by its viewers
// and owners, directly or through a group, and by whoever can view one of
// its folders, up the folder tree.

import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, "members">)[]
  }
}

class Folder implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
    owners: (User | SubjectSet<Group, "members">)[]
  }

  permits = {
    view: (ctx: Context): boolean =>
      this.related.viewers.includes(ctx.subject) ||
      this.related.owners.includes(ctx.subject) ||
      this.related.parents.traverse((p) => p.permits.view(ctx)),

    edit: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.parents.traverse((p) => p.permits.edit(ctx)),
  }
}

class Document implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
    owners: (User | SubjectSet<Group, "members">)[]
  }

  permits = {
    view: (ctx: Context): boolean =>
      this.related.viewers.includes(ctx.subject) ||
      this.related.owners.includes(ctx.subject) ||
      this.related.parents.traverse((p) => p.permits.view(ctx)),

    edit: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.parents.traverse((p) => p.permits.edit(ctx)),
  }
}

// Video is the load harness's default namespace (--namespace Video
// --relation owner): C1 without --fixtures, C4 and C5 write and check it, so
// one server configuration serves every permission workload.
class Video implements Namespace {
  related: {
    view: (User | SubjectSet<Video, "owner">)[]
    owner: User[]
  }
}
