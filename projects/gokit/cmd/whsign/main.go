// Command whsign signs or verifies a webhook body read from standard input,
// for trying a webhook receiver by hand:
//
//	WEBHOOK_SECRET=s3cret whsign < body.json              # prints the X-Signature value
//	WEBHOOK_SECRET=s3cret whsign -verify "$SIG" < body.json
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tandem-monorepo/tandem/projects/gokit/signature"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Getenv, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "whsign:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string, now time.Time) error {
	fs := flag.NewFlagSet("whsign", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	verify := fs.String("verify", "", "verify this X-Signature value instead of signing")
	at := fs.Int64("time", now.Unix(), "Unix time to sign at")
	tolerance := fs.Duration("tolerance", signature.DefaultTolerance, "accepted clock difference when verifying")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := getenv("WEBHOOK_SECRET")
	if secret == "" {
		return errors.New("set WEBHOOK_SECRET to the shared secret")
	}
	body, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	if *verify != "" {
		if err := signature.Verify([]byte(secret), *verify, body, now, *tolerance); err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, "ok")
		return err
	}
	_, err = fmt.Fprintln(stdout, signature.Sign([]byte(secret), time.Unix(*at, 0), body))
	return err
}
