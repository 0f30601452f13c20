package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

//go:embed report.html.tmpl
var htmlSource string

// The template is parsed once; html/template escapes every value for its
// context, so a hostile response body is shown, never run.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// The view model: everything the template shows, precomputed, so that the
// template holds layout only.
type htmlView struct {
	Report
	Date     string
	Duration string
	Verdict  string
	// Failed: the run did not pass (blocked, incomplete, fail, error).
	// "Only problems" is then on by default, and passing scenarios hidden.
	Failed bool
	// ScenarioLine and StepLine are WriteChecks's closing lines, word for
	// word: the page and the terminal give the same counts.
	ScenarioLine, StepLine string
	Counts                 []htmlCount // scenarios by verdict
	StepCounts             []htmlCount // steps by status
	// Problems are the scenarios that did not pass, worst first; the
	// summary's table lists the first MaxProblems of them.
	Problems     []htmlProblem
	MoreProblems int
	Groups       []htmlGroup
	ProblemSteps int
	// ProblemsLabel counts what "only problems" shows, in the cards'
	// unit and in steps: "4 checks, 20 steps".
	ProblemsLabel string
	Extra         []htmlSection // Report.Sections and Timings
	Filters       []htmlFilter
	FilterCSS     template.CSS
	// ShowBehaviour and ShowSource: some result has one (an IdP
	// scenario); a conformance run has neither, and the columns go.
	ShowBehaviour, ShowSource bool
	Columns                   int
}

// MaxDetailedPasses bounds the steps of passing scenarios the HTML shows
// with their exchanges; the passing scenarios after them are one line each
// (a run of numbered ones of a kind, one line for the run), their name,
// summary and time. An Entra cycle of 100,000 users passes 20,000
// scenarios with 304,000 steps: 265 MB of HTML that no browser opens; a
// conform run passes some 1,600 steps and is shown whole. Every scenario
// that did not pass is shown whole, however many there are, and
// report.json holds every step of every one.
const MaxDetailedPasses = 5000

// MaxProblems bounds the summary's table of problems, so that the summary
// fits a screen; the rest are below, under "only problems".
const MaxProblems = 12

type htmlSection struct {
	Title string
	Rows  []htmlSectionRow
}

// htmlSectionRow is a SectionRow with its status checked (a badge colour
// or nothing) and its RFC references linked. A short value is its own
// badge ("success"); a long one follows its status's badge.
type htmlSectionRow struct {
	Label, Status string
	Short         bool
	Value         template.HTML
}

func viewSection(sec Section) htmlSection {
	out := htmlSection{Title: sec.Title}
	for _, row := range sec.Rows {
		if !badgeStatuses[row.Status] {
			row.Status = ""
		}
		out.Rows = append(out.Rows, htmlSectionRow{Label: row.Label, Status: row.Status, Short: len(row.Value) <= 24, Value: linkClauses(row.Value)})
	}
	return out
}

type htmlCount struct {
	Label string
	N     int
}

type htmlProblem struct {
	Badge, Anchor, Name, Title, Reason string
	StepAnchor                         string
	Clause, Source                     template.HTML
}

type htmlGroup struct {
	Name, Title, Anchor string
	Verdict             string
	Summary             string
	Time                string
	Classes             string // filter classes
	OK                  bool   // passed: hidden under "only problems"
	Clause              template.HTML
	Rows                []htmlRow
	Folded              string // past MaxDetailedPasses: why the steps are not shown
}

type htmlRow struct {
	scenario.Result
	Anchor       string
	Badge        string
	Time         string
	Open         bool // expanded: warnings, failures, errors
	Problem      bool // shown under "only problems": Open, or blocked
	ClauseHTML   template.HTML
	SourceHTML   template.HTML
	Note         string // the message, without the sent/received lines the exchanges show
	Exchanges    []htmlExchange
	LevelClasses string
}

type htmlFilter struct {
	Name, Label string
	Options     []htmlOption
}

type htmlOption struct{ Name, ID, Label string }

type htmlExchange struct {
	Method, URL, Meta   string
	ReqHeaders, ReqBody string
	Status              int
	StatusText          string
	StatusClass         string
	RespHeaders         string
	RespBody            string
	Err                 string
	Retried             []htmlExchange
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// script, no external asset, so it can be attached to a ticket or a
// certification and read offline. A summary fills the first screen — the
// verdict, the counts of scenarios and of steps as the terminal gives
// them, a table of the scenarios that did not pass with their reason,
// clause and links — then the sections a caller adds (certification,
// lifecycle coverage), then every result. Every scenario and step has an
// anchor; every RFC clause links to its section; filters (CSS only) select
// by status, level, area and profile. Problems are expanded with their
// message and every exchange; passes collapse, and on a failed run they
// are hidden until "only problems" is unticked.
func WriteHTML(w io.Writer, r Report) error {
	r = r.withSummary()
	t := tallyOf(r)
	v := htmlView{Report: r, Verdict: r.Summary.Verdict.String(), ScenarioLine: t.scenarioLine(), StepLine: t.stepLine()}
	v.Failed = r.Summary.Verdict >= scenario.Blocked
	if !r.Started.IsZero() {
		v.Date = r.Started.Format("2006-01-02 15:04:05 MST")
	}
	for _, x := range tallyWords {
		if n := t.counts[x.st]; n > 0 || x.st == scenario.Pass || x.st == scenario.Fail {
			v.Counts = append(v.Counts, htmlCount{x.st.String(), n})
		}
	}
	for _, st := range []scenario.Status{scenario.Pass, scenario.Warn, scenario.Fail, scenario.Error, scenario.Blocked, scenario.Incomplete, scenario.Skip, scenario.Disabled} {
		n := r.Summary.Counts[st]
		if st == scenario.Warn {
			if info := r.Summary.Info; info > 0 {
				v.StepCounts = append(v.StepCounts, htmlCount{"info", info})
				n -= info
			}
		}
		if n > 0 || st == scenario.Pass || st == scenario.Fail {
			v.StepCounts = append(v.StepCounts, htmlCount{st.String(), n})
		}
	}
	infos := map[string]ScenarioInfo{}
	for _, si := range r.Scenarios {
		infos[si.Name] = si
	}
	ids := anchors{}
	filters := map[string]map[string]bool{"status": {}, "level": {}, "area": {}, "profile": {}}
	var total time.Duration
	passed := 0 // steps of the passing scenarios shown whole so far
	for i := 0; i < len(t.checks); i++ {
		c := t.checks[i]
		info := infos[c.name]
		g := htmlGroup{Name: c.name, Title: info.Title, Anchor: ids.unique("c-" + slug(c.name)), Verdict: c.verdict.String(), OK: c.verdict <= scenario.Pass}
		g.Clause = linkClauses(info.Clause)
		s := scenario.Summarize(c.results)
		g.Summary = strings.TrimPrefix(s.String(), s.Verdict.String()+": ")
		classes := map[string]bool{"status-" + slug(g.Verdict): true}
		filters["status"][g.Verdict] = true
		area := info.Area
		if area == "" {
			if a, _, ok := strings.Cut(c.name, "/"); ok {
				area = a
			} else if len(c.results) > 0 {
				area = c.results[0].IdP
			}
		}
		if area != "" {
			classes["area-"+slug(area)] = true
			filters["area"][area] = true
		}
		if info.Profile != "" {
			classes["profile-"+slug(info.Profile)] = true
			filters["profile"][info.Profile] = true
		}
		if info.Level != "" {
			classes["level-"+slug(string(info.Level))] = true
			filters["level"][string(info.Level)] = true
		}
		fold := false
		if c.verdict == scenario.Pass {
			fold = passed+len(c.results) > MaxDetailedPasses
			if !fold {
				passed += len(c.results)
			}
		}
		results := c.results
		if fold {
			what := Plural(len(c.results), "steps")
			if n, steps := t.passingRun(i); n >= minCollapsed && r.Unit == "" {
				// Numbered scenarios of one kind (Entra's teams): one line
				// for the run of them, as the terminal prints it.
				g.Name += " … " + t.checks[i+n-1].name
				g.Summary = fmt.Sprintf("%d scenarios, %d steps", n, steps)
				results = make([]scenario.Result, 0, steps)
				for _, x := range t.checks[i : i+n] {
					results = append(results, x.results...)
				}
				what = fmt.Sprintf("%d scenarios, %s,", n, Plural(steps, "steps"))
				i += n - 1
			}
			g.Folded = fmt.Sprintf("%s passed; past %d passing steps the page lists %s without their steps, which report.json holds",
				what, MaxDetailedPasses, unitOf(r))
		}
		var gtime time.Duration
		timed := false // some row was a request: a group of findings has no time
		for j, res := range results {
			d := duration(res)
			gtime += d
			if fold {
				timed = timed || d > 0 || len(res.Exchanges) > 0
				continue
			}
			row := htmlRow{Result: res, Anchor: ids.unique(fmt.Sprintf("%s-s%d", g.Anchor, j+1)), Badge: badge(res)}
			// A row that sent nothing (a certify fingerprint or coverage
			// line, a skipped step) has no time: "0 ms" would claim one.
			if d > 0 || len(res.Exchanges) > 0 {
				row.Time, timed = ms(d), true
			}
			// A blocked step is folded: its root failure, shown open, says why.
			row.Open = res.Status >= scenario.Warn && !res.Info && res.Status != scenario.Blocked
			row.Problem = res.Status >= scenario.Warn && !res.Info
			row.ClauseHTML = linkClauses(res.Clause)
			row.SourceHTML = linkSource(res.Source, res.SourceURL)
			row.Note = res.Message
			if len(res.Exchanges) > 0 {
				row.Note = withoutWireLines(res.Message)
			}
			if row.Problem {
				v.ProblemSteps++
			}
			if res.Behaviour != "" && !res.Cleanup {
				v.ShowBehaviour = true
			}
			if res.Source != "" {
				v.ShowSource = true
			}
			if info.Level == "" && res.Level != "" && !res.Cleanup {
				classes["level-"+slug(string(res.Level))] = true
				filters["level"][string(res.Level)] = true
			}
			for _, ex := range res.Exchanges {
				row.Exchanges = append(row.Exchanges, viewExchange(ex))
			}
			g.Rows = append(g.Rows, row)
		}
		total += gtime
		if timed {
			g.Time = ms(gtime)
		}
		g.Classes = strings.Join(slices.Sorted(maps.Keys(classes)), " ")
		if !g.OK && c.verdict != scenario.Skip && c.verdict != scenario.Disabled {
			p := htmlProblem{Badge: g.Verdict, Anchor: g.Anchor, Name: c.name, Title: info.Title, Reason: shorten(c.reason, maxReason), Clause: g.Clause}
			if c.first >= 0 {
				row := g.Rows[c.first]
				p.StepAnchor = row.Anchor
				if row.ClauseHTML != "" {
					p.Clause = row.ClauseHTML
				}
				p.Source = row.SourceHTML
			}
			v.Problems = append(v.Problems, p)
		}
		v.Groups = append(v.Groups, g)
	}
	// Worst first; the order of the run among equals.
	slices.SortStableFunc(v.Problems, func(a, b htmlProblem) int { return rankOf(b.Badge) - rankOf(a.Badge) })
	v.ProblemsLabel = Plural(len(v.Problems), unitOf(r)) + ", " + Plural(v.ProblemSteps, "steps")
	if len(v.Problems) > MaxProblems {
		v.MoreProblems = len(v.Problems) - MaxProblems
		v.Problems = v.Problems[:MaxProblems]
	}
	v.Columns = 5
	if v.ShowBehaviour {
		v.Columns++
	}
	if v.ShowSource {
		v.Columns++
	}
	v.Filters, v.FilterCSS = filterView(filters)
	v.Duration = ms(total)
	for _, sec := range r.Sections {
		v.Extra = append(v.Extra, viewSection(sec))
	}
	for _, t := range r.Timings {
		v.Extra = append(v.Extra, viewSection(Section{Title: "Timing: " + t.Name, Rows: []SectionRow{
			{Label: "users, groups", Value: fmt.Sprintf("%d, %d", t.Users, t.Groups)},
			{Label: "requests", Value: fmt.Sprintf("%d in %.2f s (%.0f req/s), concurrency %d", t.Requests, t.Seconds, t.RequestsPerSecond, t.Concurrency)},
			{Label: "cleanup (not counted)", Value: fmt.Sprintf("%d requests in %.2f s", t.CleanupRequests, t.Cleanup.Seconds())},
		}}))
	}
	return htmlTemplate.Execute(w, v)
}

// unitOf is what the report's groups are: scenarios unless it says.
func unitOf(r Report) string {
	if r.Unit == "" {
		return "scenarios"
	}
	return r.Unit
}

// maxReason bounds a reason in the summary's table, which must fit a
// screen; the whole message is under the step.
const maxReason = 240

// shorten cuts s to at most n bytes, at a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// duration is a result's time: its own, or else that of its exchanges (a
// graded recording knows only these).
func duration(res scenario.Result) time.Duration {
	if res.Duration > 0 {
		return res.Duration
	}
	var d time.Duration
	for _, ex := range res.Exchanges {
		d += ex.Duration
	}
	return d
}

func rankOf(status string) int {
	if status == "info" {
		return int(scenario.Pass)
	}
	for _, st := range scenario.Statuses {
		if st.String() == status {
			return int(st)
		}
	}
	return 0
}

// filterView builds the filters (one radio group per dimension with more
// than one value) and the CSS that applies them: ticking "area: crud"
// hides every scenario without the class area-crud. CSS only (:has), so
// the page still runs no script.
func filterView(values map[string]map[string]bool) ([]htmlFilter, template.CSS) {
	var fs []htmlFilter
	var css strings.Builder
	for _, name := range []string{"status", "level", "area", "profile"} {
		vals := slices.Sorted(maps.Keys(values[name]))
		if len(vals) < 2 {
			continue
		}
		f := htmlFilter{Name: "f-" + name, Label: name}
		for _, val := range vals {
			id := "f-" + name + "-" + slug(val)
			f.Options = append(f.Options, htmlOption{Name: f.Name, ID: id, Label: val})
			fmt.Fprintf(&css, "body:has(#%s:checked) tbody.sc:not(.%s-%s) { display: none; }\n", id, name, slug(val))
		}
		fs = append(fs, f)
	}
	// Only ids and classes made by slug reach the stylesheet.
	return fs, template.CSS(css.String())
}

// slug is s as an id or class: lower-case letters and digits, other runs
// of characters a single "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "x"
	}
	return out
}

// anchors keeps the ids of a page unique: a second "c-x" is "c-x-2".
type anchors map[string]int

func (a anchors) unique(id string) string {
	a[id]++
	if n := a[id]; n > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
		a[id]++
	}
	return id
}

// rfcRef finds "RFC 7644 §3.4.2.2" (also "RFC 7643 section 2.1", "RFC
// 7644") in a clause or a source, and a bare "§3.12" after one ("RFC 7644
// §3.3, §3.12"), which is of the same RFC.
var rfcRef = regexp.MustCompile(`RFC ?(\d{3,5})(?:,? ?(?:§|[Ss]ection) ?((?:\d+|[A-Z])(?:\.\d+)*))?|§ ?((?:\d+|[A-Z])(?:\.\d+)*)`)

// RFCLink is where an RFC section is read: the RFC Editor's HTML, with
// the section's own anchor ("section-3.4.2.2", "appendix-A").
func RFCLink(rfc, section string) string {
	u := "https://www.rfc-editor.org/rfc/rfc" + rfc
	switch {
	case section == "":
		return u
	case section[0] >= 'A' && section[0] <= 'Z':
		return u + "#appendix-" + section
	}
	return u + "#section-" + section
}

// linkClauses is s, escaped, with every RFC reference a link to its
// section.
func linkClauses(s string) template.HTML {
	var b strings.Builder
	last, rfc := 0, ""
	for _, m := range rfcRef.FindAllStringSubmatchIndex(s, -1) {
		section := ""
		switch {
		case m[2] >= 0:
			rfc = s[m[2]:m[3]]
			if m[4] >= 0 {
				section = s[m[4]:m[5]]
			}
		case rfc == "":
			continue // a "§" of no known RFC: left as text
		default:
			section = s[m[6]:m[7]]
		}
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		fmt.Fprintf(&b, `<a class="rfc" href="%s">%s</a>`, template.HTMLEscapeString(RFCLink(rfc, section)), template.HTMLEscapeString(s[m[0]:m[1]]))
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String())
}

// linkSource is a result's source: a link to its URL when it has one (an
// http or https URL only), and its RFC references linked otherwise.
func linkSource(source, url string) template.HTML {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		if strings.HasPrefix(source, "https://") && !strings.ContainsAny(source, " \t\n") {
			url = source
		} else {
			return linkClauses(source)
		}
	}
	text := source
	if text == "" {
		text = url
	}
	return template.HTML(fmt.Sprintf(`<a class="src" href="%s">%s</a>`, template.HTMLEscapeString(url), template.HTMLEscapeString(text)))
}

// badgeStatuses are the statuses a SectionRow may be shown as: the badge
// colours of the stylesheet.
var badgeStatuses = map[string]bool{"pass": true, "warn": true, "info": true, "fail": true, "error": true, "blocked": true, "incomplete": true, "skip": true, "disabled": true}

// withoutWireLines drops the "sent: …" and "received: …" summary lines
// that end a scenario message: the page shows the full exchanges instead.
func withoutWireLines(msg string) string {
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, "sent: ") && !strings.HasPrefix(line, "received: ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func viewExchange(ex wire.Exchange) htmlExchange {
	v := htmlExchange{
		Method:     ex.Request.Method,
		URL:        ex.Request.URL,
		ReqHeaders: strings.Join(headerLines(ex.Request.Header), "\n"),
		Err:        ex.Err,
	}
	if len(ex.Request.Body) > 0 {
		v.ReqBody = scenario.Pretty(ex.Request.Body)
	}
	meta := []string{ms(ex.Duration)}
	if ex.Attempts > 1 {
		meta = append(meta, fmt.Sprintf("attempt %d", ex.Attempts))
	}
	if !ex.Started.IsZero() {
		meta = append(meta, ex.Started.Format("15:04:05.000"))
	}
	v.Meta = strings.Join(meta, " · ")
	if ex.Response != nil {
		v.Status = ex.Response.Status
		v.StatusText = http.StatusText(ex.Response.Status)
		v.StatusClass = fmt.Sprintf("s%dxx", ex.Response.Status/100)
		v.RespHeaders = strings.Join(headerLines(ex.Response.Header), "\n")
		if len(ex.Response.Body) > 0 {
			v.RespBody = scenario.Pretty(ex.Response.Body)
		}
	}
	for _, prev := range ex.Retried {
		v.Retried = append(v.Retried, viewExchange(prev))
	}
	return v
}

// Plural is "1 check", "4 checks": unit is given plural, and loses its s
// for one. Every count a report or the terminal prints goes through it.
func Plural(n int, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", n, unit)
}
