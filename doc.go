// Package bandeira holds the domain vocabulary of the Bandeira card-network simulator:
// card numbers, money, brands, response codes, the authorization request and result, and
// the Authorizer contract that every hop (gateway, network, issuer, ISO 8583 client)
// implements.
//
// The package imports the standard library only. Money is integer centavos (Amount) and
// rates are integer basis points; there are no floats for money anywhere in the module.
package bandeira
