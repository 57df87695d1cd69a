package journal

// ConnectJetStream is connectJetStream, for the package's external tests.
var ConnectJetStream = connectJetStream
