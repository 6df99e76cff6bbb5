package flow

// The ui container of a flow: the form a UI renders, with Kratos's node
// model (input, text, a, img, script and div nodes in groups) and its
// message ids, so UIs built for Kratos render Warden's flows unchanged.

// Text is a message with a stable numeric id (what UIs translate by).
type Text struct {
	ID      int            `json:"id"`
	Text    string         `json:"text"`
	Type    string         `json:"type"` // info, error, success
	Context map[string]any `json:"context,omitempty"`
}

// Message types.
const (
	TypeInfo    = "info"
	TypeError   = "error"
	TypeSuccess = "success"
)

// Node groups.
const (
	GroupDefault  = "default"
	GroupPassword = "password"
	GroupProfile  = "profile"
	GroupCode     = "code"
	GroupLink     = "link"
)

// Container is a flow's form.
type Container struct {
	Action   string `json:"action"`
	Method   string `json:"method"`
	Nodes    []Node `json:"nodes"`
	Messages []Text `json:"messages,omitempty"`
}

// Node is one element of the form.
type Node struct {
	Type       string `json:"type"`
	Group      string `json:"group"`
	Attributes Attrs  `json:"attributes"`
	Messages   []Text `json:"messages"`
	Meta       Meta   `json:"meta"`
}

// Meta carries a node's label.
type Meta struct {
	Label *Text `json:"label,omitempty"`
}

// Attrs are the attributes of a node; which fields are set depends on
// NodeType (input: Name, Type, Value, ...; text: ID, Text; a: ID, Href, Title).
type Attrs struct {
	NodeType     string  `json:"node_type"`
	Name         string  `json:"name,omitempty"`
	Type         string  `json:"type,omitempty"`
	Value        any     `json:"value,omitempty"`
	Required     bool    `json:"required,omitempty"`
	Disabled     *bool   `json:"disabled,omitempty"`
	Autocomplete string  `json:"autocomplete,omitempty"`
	Pattern      string  `json:"pattern,omitempty"`
	MaxLength    int     `json:"maxlength,omitempty"`
	Label        *Text   `json:"label,omitempty"`
	ID           string  `json:"id,omitempty"`
	Text         *Text   `json:"text,omitempty"`
	Href         string  `json:"href,omitempty"`
	Title        *Text   `json:"title,omitempty"`
	Options      []Value `json:"options,omitempty"`
}

// Value is an option of a select-like input.
type Value struct {
	Value any `json:"value"`
}

var no = false

// Input returns an input node.
func Input(group, name, typ string, value any, label *Text) Node {
	return Node{Type: "input", Group: group, Messages: []Text{}, Meta: Meta{Label: label},
		Attributes: Attrs{NodeType: "input", Name: name, Type: typ, Value: value, Disabled: &no, Label: label}}
}

// TextNode returns a text node.
func TextNode(group, id string, t Text) Node {
	return Node{Type: "text", Group: group, Messages: []Text{}, Meta: Meta{Label: nil},
		Attributes: Attrs{NodeType: "text", ID: id, Text: &t}}
}

// AnchorNode returns a link node.
func AnchorNode(group, id, href string, title Text) Node {
	return Node{Type: "a", Group: group, Messages: []Text{}, Meta: Meta{Label: &title},
		Attributes: Attrs{NodeType: "a", ID: id, Href: href, Title: &title}}
}

// Find returns the input node named name, or nil.
func (c *Container) Find(name string) *Node {
	for k := range c.Nodes {
		if c.Nodes[k].Attributes.NodeType == "input" && c.Nodes[k].Attributes.Name == name {
			return &c.Nodes[k]
		}
	}
	return nil
}

// SetValue sets the value of the input named name.
func (c *Container) SetValue(name string, v any) {
	if n := c.Find(name); n != nil {
		n.Attributes.Value = v
	}
}

// ResetMessages clears the form's and every node's messages.
func (c *Container) ResetMessages() {
	c.Messages = nil
	for k := range c.Nodes {
		c.Nodes[k].Messages = []Text{}
	}
}

// AddNodeMessage adds a message to the input named name, or to the form
// when there is no such input.
func (c *Container) AddNodeMessage(name string, t Text) {
	if n := c.Find(name); n != nil {
		n.Messages = append(n.Messages, t)
		return
	}
	c.Messages = append(c.Messages, t)
}

// RemoveGroup drops the nodes of a group.
func (c *Container) RemoveGroup(group string) {
	out := c.Nodes[:0]
	for _, n := range c.Nodes {
		if n.Group != group {
			out = append(out, n)
		}
	}
	c.Nodes = out
}

// Messages, by id (Kratos's numbering; the words are Warden's).
func info(id int, s string) *Text            { return &Text{ID: id, Text: s, Type: TypeInfo} }
func errText(id int, s string) Text          { return Text{ID: id, Text: s, Type: TypeError} }
func okText(id int, s string) Text           { return Text{ID: id, Text: s, Type: TypeSuccess} }
func infoText(id int, s string) Text         { return Text{ID: id, Text: s, Type: TypeInfo} }
func withCtx(t Text, kv map[string]any) Text { t.Context = kv; return t }

var (
	labelSignIn           = info(1010001, "Sign in")
	labelPasswordSignIn   = info(1010022, "Sign in with password")
	labelSignUp           = info(1040001, "Sign up")
	labelPassword         = info(1070001, "Password")
	labelID               = info(1070004, "Email or username")
	labelSave             = info(1070003, "Save")
	labelSubmit           = info(1070005, "Submit")
	labelEmail            = info(1070007, "Email")
	labelContinue         = info(1070009, "Continue")
	labelVerificationCode = info(1070011, "Verification code")
	labelRecoveryCode     = info(1070012, "Recovery code")
	labelResend           = info(1070008, "Resend code")
)

func labelGenerated(title string) *Text {
	return &Text{ID: 1070002, Text: title, Type: TypeInfo, Context: map[string]any{"title": title}}
}

var (
	msgReauth               = infoText(1010003, "Please confirm this action by verifying that it is you.")
	msgSettingsSaved        = okText(1050001, "Your changes have been saved.")
	msgRecoveryCodeSent     = infoText(1060003, "An email with a recovery code has been sent to the address you gave, if it belongs to an account.")
	msgRecoveryLinkSent     = infoText(1060002, "An email with a recovery link has been sent to the address you gave, if it belongs to an account.")
	msgRecoverySuccess      = okText(1060001, "You recovered your account. Please change your password now.")
	msgVerificationLinkSent = infoText(1080001, "An email with a verification link has been sent to the address you gave.")
	msgVerificationCodeSent = infoText(1080003, "An email with a verification code has been sent to the address you gave.")
	msgVerified             = okText(1080002, "You verified your email address.")

	errGeneric           = func(s string) Text { return errText(4000001, s) }
	errInvalidCreds      = errText(4000006, "The credentials are not valid: check the identifier and the password.")
	errDuplicate         = errText(4000007, "An account with the same identifier (email, phone or username) exists already.")
	errMissingIdentifier = errText(4000002, "Property identifier is missing.")
	errMissingPassword   = errText(4000002, "Property password is missing.")
	errIdentityDisabled  = errText(4010011, "This account is disabled.")
	errRecoveryCode      = errText(4060006, "The recovery code is not valid or was used already; request a new one.")
	errRecoveryToken     = errText(4060004, "The recovery link is not valid or was used already; request a new one.")
	errVerificationCode  = errText(4070006, "The verification code is not valid or was used already; request a new one.")
	errVerificationToken = errText(4070001, "The verification link is not valid or was used already; request a new one.")
	errEmailMissing      = errText(4000002, "Property email is missing.")
)

func missing(prop string) Text {
	return withCtx(errText(4000002, "Property "+prop+" is missing."), map[string]any{"property": prop})
}

func flowExpired(kind string) Text {
	ids := map[string]int{KindLogin: 4010001, KindRegistration: 4040001, KindSettings: 4050001, KindRecovery: 4060005, KindVerification: 4070005}
	return errText(ids[kind], "The "+kind+" flow expired; please try again.")
}
