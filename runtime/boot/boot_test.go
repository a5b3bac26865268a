package boot

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var ran []string
	step := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { ran = append(ran, name); return err }
	}
	boom := errors.New("boom")
	steps := []Step{
		{Name: "a", Required: true, Run: step("a", nil)},
		{Name: "b", Run: step("b", boom)},
		{Name: "c", Required: true, Run: step("c", boom)},
		{Name: "d", Run: step("d", nil)},
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), steps, &out, time.Now)
	if !errors.Is(err, ErrRequired) || !errors.Is(err, boom) {
		t.Fatalf("Run error = %v, want ErrRequired wrapping boom", err)
	}
	if strings.Join(ran, "") != "abc" {
		t.Errorf("ran %v, want a b c and nothing after the failed required step", ran)
	}
	if len(res) != 3 || res[1].Err != "boom" {
		t.Errorf("results = %+v", res)
	}
	for _, want := range []string{"a          ok", "b          skipped", "c          FAILED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBackgroundStepRunsBesideLaterOnes(t *testing.T) {
	appStarted := make(chan struct{})
	steps := []Step{
		{Name: "network", Background: true, Run: func(context.Context) error {
			select {
			case <-appStarted:
				return nil
			case <-time.After(5 * time.Second):
				return errors.New("the boot waited for the background step")
			}
		}},
		{Name: "app", Required: true, Run: func(context.Context) error { close(appStarted); return nil }},
	}
	var out bytes.Buffer
	results, err := Run(context.Background(), steps, &out, time.Now)
	if err != nil || len(results) != 2 || results[0].Name != "network" || results[0].Err != "" || results[1].Name != "app" {
		t.Fatalf("Run = %+v, %v\n%s", results, err, out.String())
	}
}
