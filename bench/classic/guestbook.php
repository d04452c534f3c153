<?php
// A re-creation of the classic Kubernetes guestbook's frontend, for the benchmark to measure ours
// against: its faults (one string for every message, GET to write, JSON by concatenation, a new Redis
// connection per request) are kept on purpose.

error_reporting(E_ALL);
ini_set('display_errors', 1);

// Debian's php-predis puts Predis in /usr/share/php, on PHP's default include path.
require 'Predis/Autoloader.php';

Predis\Autoloader::register();

// As Kubernetes injects them (GET_HOSTS_FROM=env in the classic); Apache passes them on (PassEnv).
// The classic had no password and port 6379; our Redis servers require one and listen on free ports,
// so each request here also pays an AUTH that the classic did not.
function redis_client($service)
{
  return new Predis\Client([
    'scheme'   => 'tcp',
    'host'     => getenv("{$service}_SERVICE_HOST"),
    'port'     => getenv("{$service}_SERVICE_PORT"),
    'password' => getenv('REDIS_PASSWORD'),
  ]);
}

// Without cmd the classic answered phpinfo(): left out, as it would show the password.
if (isset($_GET['cmd']) === true) {
  header('Content-Type: application/json');
  if ($_GET['cmd'] == 'set') {
    $client = redis_client('REDIS_MASTER');
    $client->set($_GET['key'], $_GET['value']);
    print('{"message": "Updated"}');
  } else {
    $client = redis_client('REDIS_SLAVE');
    $value = $client->get($_GET['key']);
    print('{"data": "' . $value . '"}');
  }
}
