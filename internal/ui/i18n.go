package ui

import (
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"github.com/warden-iam/warden/internal/flow"
)

// Pages speak English and German, chosen by Accept-Language. Messages from
// the flows are translated by their id (with their context filled in);
// an id without a translation shows the server's English text.

var matcher = language.NewMatcher([]language.Tag{language.English, language.German})

func langOf(r *http.Request) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, idx, _ := matcher.Match(tags...)
	if idx == 1 {
		return "de"
	}
	return "en"
}

// pageText holds the pages' own words.
var pageText = map[string]map[string]string{
	"en": {
		"title.login": "Sign in", "title.registration": "Create your account", "title.settings": "Account settings",
		"title.recovery": "Recover your account", "title.verification": "Verify your email address", "title.error": "Something went wrong",
		"title.home": "Welcome", "title.consent": "Allow access", "title.logout": "Sign out", "title.device": "Connect a device",
		"link.register": "Create an account", "link.recover": "Forgot your password?", "link.login": "Already have an account? Sign in",
		"link.back": "Back to sign in", "link.home": "Back to the start page",
		"group.profile": "Profile", "group.password": "Password", "group.code": "Code", "group.link": "Link",
		"home.signedin": "You are signed in as", "home.signedout": "You are signed out.", "home.settings": "Account settings",
		"home.signout": "Sign out", "home.signin": "Sign in", "home.register": "Create an account", "home.unverified": "Your email address is not verified yet.",
		"home.verify":   "Verify it now",
		"consent.intro": "wants to access your account.", "consent.scopes": "It asks to:", "consent.remember": "Remember my choice for this application",
		"consent.allow": "Allow", "consent.deny": "Deny",
		"logout.question": "Do you want to sign out?", "logout.from": "The application asking is", "logout.yes": "Sign out", "logout.no": "Stay signed in",
		"device.intro": "Enter the code shown on your device.", "device.code": "Device code", "device.submit": "Continue",
		"error.unknown": "The page you followed is no longer valid. Please start again.", "error.csrf": "The form was sent from another page or its session expired. Please start again.",
		"error.challenge": "This sign-in request is not valid any more. Please go back to the application and start again.",
		"error.usercode":  "This code is not valid or has expired.", "error.back": "Back to the start page",
		"skip":           "Skip to the form",
		"sessions.title": "Where you are signed in", "sessions.since": "since", "sessions.current": "this device", "sessions.revoke": "Sign out there",
	},
	"de": {
		"title.login": "Anmelden", "title.registration": "Konto erstellen", "title.settings": "Kontoeinstellungen",
		"title.recovery": "Konto wiederherstellen", "title.verification": "E-Mail-Adresse bestätigen", "title.error": "Etwas ist schiefgelaufen",
		"title.home": "Willkommen", "title.consent": "Zugriff erlauben", "title.logout": "Abmelden", "title.device": "Gerät verbinden",
		"link.register": "Konto erstellen", "link.recover": "Passwort vergessen?", "link.login": "Schon ein Konto? Anmelden",
		"link.back": "Zurück zur Anmeldung", "link.home": "Zurück zur Startseite",
		"group.profile": "Profil", "group.password": "Passwort", "group.code": "Code", "group.link": "Link",
		"home.signedin": "Angemeldet als", "home.signedout": "Sie sind abgemeldet.", "home.settings": "Kontoeinstellungen",
		"home.signout": "Abmelden", "home.signin": "Anmelden", "home.register": "Konto erstellen", "home.unverified": "Ihre E-Mail-Adresse ist noch nicht bestätigt.",
		"home.verify":   "Jetzt bestätigen",
		"consent.intro": "möchte auf Ihr Konto zugreifen.", "consent.scopes": "Die Anwendung bittet um:", "consent.remember": "Meine Entscheidung für diese Anwendung merken",
		"consent.allow": "Erlauben", "consent.deny": "Ablehnen",
		"logout.question": "Möchten Sie sich abmelden?", "logout.from": "Die anfragende Anwendung ist", "logout.yes": "Abmelden", "logout.no": "Angemeldet bleiben",
		"device.intro": "Geben Sie den Code ein, den Ihr Gerät anzeigt.", "device.code": "Gerätecode", "device.submit": "Weiter",
		"error.unknown": "Der aufgerufene Link ist nicht mehr gültig. Bitte beginnen Sie erneut.", "error.csrf": "Das Formular kam von einer anderen Seite oder ist abgelaufen. Bitte beginnen Sie erneut.",
		"error.challenge": "Diese Anmeldeanfrage ist nicht mehr gültig. Bitte kehren Sie zur Anwendung zurück und beginnen Sie erneut.",
		"error.usercode":  "Dieser Code ist ungültig oder abgelaufen.", "error.back": "Zurück zur Startseite",
		"skip":           "Zum Formular springen",
		"sessions.title": "Wo Sie angemeldet sind", "sessions.since": "seit", "sessions.current": "dieses Gerät", "sessions.revoke": "Dort abmelden",
	},
}

func translate(lang, key string) string {
	if s, ok := pageText[lang][key]; ok {
		return s
	}
	if s, ok := pageText["en"][key]; ok {
		return s
	}
	return key
}

// messageText holds translations of flow messages by id; {name} is filled
// from the message's context.
var messageText = map[string]map[int]string{
	"de": {
		1010001: "Anmelden", 1010003: "Bitte bestätigen Sie diese Aktion, indem Sie sich erneut anmelden.", 1010022: "Mit Passwort anmelden",
		1040001: "Registrieren", 1050001: "Ihre Änderungen wurden gespeichert.",
		1060001: "Sie haben Ihr Konto wiederhergestellt. Bitte ändern Sie jetzt Ihr Passwort.",
		1060002: "Falls die Adresse zu einem Konto gehört, wurde ein Wiederherstellungslink gesendet.",
		1060003: "Falls die Adresse zu einem Konto gehört, wurde ein Wiederherstellungscode gesendet.",
		1070001: "Passwort", 1070003: "Speichern", 1070004: "E-Mail oder Benutzername", 1070005: "Absenden", 1070007: "E-Mail", 1070008: "Code erneut senden",
		1070009: "Weiter", 1070011: "Bestätigungscode", 1070012: "Wiederherstellungscode",
		1080001: "Ein Bestätigungslink wurde an die angegebene Adresse gesendet.", 1080002: "Sie haben Ihre E-Mail-Adresse bestätigt.",
		1080003: "Ein Bestätigungscode wurde an die angegebene Adresse gesendet.",
		4000002: "Das Feld {property} fehlt.", 4000006: "Die Anmeldedaten sind ungültig: Prüfen Sie Kennung und Passwort.",
		4000007: "Ein Konto mit dieser Kennung (E-Mail, Telefon oder Benutzername) existiert bereits.",
		4000031: "Das Passwort ist der Kennung zu ähnlich.", 4000032: "Das Passwort muss mindestens {min_length} Zeichen lang sein.",
		4000034: "Dieses Passwort ist aus Datenlecks bekannt und darf nicht mehr verwendet werden.",
		4010001: "Die Anmeldung ist abgelaufen; bitte versuchen Sie es erneut.", 4010011: "Dieses Konto ist gesperrt.",
		4040001: "Die Registrierung ist abgelaufen; bitte versuchen Sie es erneut.",
		4060006: "Der Wiederherstellungscode ist ungültig oder wurde bereits verwendet.",
		4070006: "Der Bestätigungscode ist ungültig oder wurde bereits verwendet.",
	},
}

func translateText(lang string, t flow.Text) string {
	if t.ID == 1070002 { // a label from the identity schema: its title
		return t.Text
	}
	s, ok := messageText[lang][t.ID]
	if !ok {
		return t.Text
	}
	for k, v := range t.Context {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

var scopeTexts = map[string]map[string]string{
	"en": {"openid": "Know who you are", "profile": "See your name", "email": "See your email address",
		"offline_access": "Stay connected when you are not using it", "offline": "Stay connected when you are not using it",
		"address": "See your postal address", "phone": "See your phone number"},
	"de": {"openid": "Wissen, wer Sie sind", "profile": "Ihren Namen sehen", "email": "Ihre E-Mail-Adresse sehen",
		"offline_access": "Verbunden bleiben, wenn Sie die Anwendung nicht nutzen", "offline": "Verbunden bleiben, wenn Sie die Anwendung nicht nutzen",
		"address": "Ihre Postanschrift sehen", "phone": "Ihre Telefonnummer sehen"},
}

func scopeText(lang, scope string) string {
	if s, ok := scopeTexts[lang][scope]; ok {
		return s
	}
	return scope
}
